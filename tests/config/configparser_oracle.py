"""Reads .testr.conf-style files as testrepository does (Python's
configparser.ConfigParser, [DEFAULT] only) and prints one JSON object per
file, in argument order, for tests/test_config.cpp to compare against.

{"ok": true, "values": {key: interpolated value}}   or
{"ok": false, "kind": exception class, "line": line or null}
"""
import configparser
import json
import sys


def error_line(e):
    # ParsingError (but not its subclass MissingSectionHeaderError) keeps
    # every bad line; the first is the one a user fixes first.
    if isinstance(e, configparser.ParsingError) and not isinstance(
            e, configparser.MissingSectionHeaderError):
        return e.errors[0][0]
    return getattr(e, 'lineno', None)


def read(path):
    parser = configparser.ConfigParser()
    try:
        parser.read([path], encoding='utf-8')
        # testrepository calls parser.get('DEFAULT', key); do it for all.
        values = {key: parser.get('DEFAULT', key) for key in parser.defaults()}
    except (configparser.Error, UnicodeDecodeError) as e:
        return {'ok': False, 'kind': type(e).__name__, 'line': error_line(e)}
    return {'ok': True, 'values': values}


def main():
    for path in sys.argv[1:]:
        print(json.dumps(read(path)))


if __name__ == '__main__':
    main()
