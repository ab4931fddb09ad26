// testr/subunit_writer.hpp - the subunit v2 writer the reporter headers share
// (gtest_subunit.hpp, doctest_subunit.hpp, catch2_subunit.hpp).
//
// Self-contained on purpose: a test binary adds one include and no library.
// C++17. Writes whole packets to a file descriptor (stdout by default) with
// one write each, so a crash never leaves half a packet. Wire format:
// subunit v2 (python-subunit's subunit/v2.py is the reference).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace testr::reporters {

enum class status : std::uint8_t { none = 0, exists = 1, inprogress = 2, success = 3, skip = 5, fail = 6 };

class subunit_writer {
public:
    explicit subunit_writer(int fd = 1) : fd_(fd) {}

    /// Writes to `fd` from now on (a reporter keeps the real stdout aside
    /// while it captures what tests print).
    void set_fd(int fd) { fd_ = fd; }
    int fd() const { return fd_; }

    void exists(std::string_view id) { packet(id, status::exists, false, {}, {}, false); }
    void start(std::string_view id) { packet(id, status::inprogress, true, {}, {}, false); }
    /// One whole text attachment (split below the packet size limit).
    void file(std::string_view id, std::string_view name, std::string_view bytes) {
        constexpr std::size_t chunk = 1 << 20;
        do {
            auto part = bytes.substr(0, chunk);
            bytes.remove_prefix(part.size());
            packet(id, status::none, false, name, part, bytes.empty());
        } while (!bytes.empty());
    }
    void stop(std::string_view id, status s) { packet(id, s, true, {}, {}, false); }

private:
    static void varint(std::string& out, std::uint32_t v) {
        if (v < 0x40) {
            out += static_cast<char>(v);
        } else if (v < 0x4000) {
            out += static_cast<char>(0x40 | (v >> 8));
            out += static_cast<char>(v & 0xFF);
        } else if (v < 0x400000) {
            out += static_cast<char>(0x80 | (v >> 16));
            out += static_cast<char>((v >> 8) & 0xFF);
            out += static_cast<char>(v & 0xFF);
        } else {
            out += static_cast<char>(0xC0 | (v >> 24));
            out += static_cast<char>((v >> 16) & 0xFF);
            out += static_cast<char>((v >> 8) & 0xFF);
            out += static_cast<char>(v & 0xFF);
        }
    }
    static void str(std::string& out, std::string_view s) {
        varint(out, static_cast<std::uint32_t>(s.size()));
        out.append(s.data(), s.size());
    }
    static std::uint32_t crc32(std::string_view data) {
        static const std::vector<std::uint32_t> table = [] {
            std::vector<std::uint32_t> t(256);
            for (std::uint32_t i = 0; i < 256; ++i) {
                std::uint32_t c = i;
                for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[i] = c;
            }
            return t;
        }();
        std::uint32_t c = 0xFFFFFFFFu;
        for (unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    void packet(std::string_view id, status s, bool timed, std::string_view file_name,
                std::string_view file_bytes, bool eof) {
        std::uint16_t flags = 0x2000 | 0x0800 | 0x0100 | static_cast<std::uint16_t>(s);
        std::string body;
        if (timed) {
            flags |= 0x0200;
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
            auto secs = static_cast<std::uint32_t>(ns / 1000000000);
            for (int shift = 24; shift >= 0; shift -= 8) body += static_cast<char>((secs >> shift) & 0xFF);
            varint(body, static_cast<std::uint32_t>(ns % 1000000000));
        }
        str(body, id);
        if (!file_name.empty()) {
            flags |= 0x0020 | 0x0040;
            str(body, "text/plain;charset=utf8");
            str(body, file_name);
            varint(body, static_cast<std::uint32_t>(file_bytes.size()));
            body.append(file_bytes.data(), file_bytes.size());
            if (eof) flags |= 0x0010;
        }
        // length counts the whole packet, its own bytes included.
        std::size_t total = 1 + 2 + body.size() + 4;
        std::size_t len_bytes = total + 1 < 0x40 ? 1 : total + 2 < 0x4000 ? 2 : 3;
        std::string pkt;
        pkt += static_cast<char>(0xB3);
        pkt += static_cast<char>(flags >> 8);
        pkt += static_cast<char>(flags & 0xFF);
        varint(pkt, static_cast<std::uint32_t>(total + len_bytes));
        pkt += body;
        auto crc = crc32(pkt);
        for (int shift = 24; shift >= 0; shift -= 8) pkt += static_cast<char>((crc >> shift) & 0xFF);
        std::string_view rest = pkt;
        while (!rest.empty()) {
            auto n = ::write(fd_, rest.data(), rest.size());
            if (n <= 0) return;  // nowhere to report to
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    int fd_;
};

/// testr's conventions: `--list` (write each test as an `exists` event and
/// run nothing) and `--load-list FILE` (run the ids in FILE, one a line).
/// parse() removes them from argv so the framework never sees them.
struct testr_args {
    bool list = false;
    bool load = false;
    std::vector<std::string> ids;
    std::string error;  ///< non-empty: a bad --load-list

    static testr_args parse(int& argc, char** argv) {
        testr_args a;
        int out = 1;
        for (int i = 1; i < argc; ++i) {
            std::string_view arg = argv[i];
            if (arg == "--list") {
                a.list = true;
            } else if (arg == "--load-list" || arg.rfind("--load-list=", 0) == 0) {
                std::string path;
                if (arg == "--load-list") {
                    if (i + 1 >= argc) {
                        a.error = "--load-list needs a file";
                        continue;
                    }
                    path = argv[++i];
                } else {
                    path = std::string(arg.substr(12));
                }
                std::ifstream in(path);
                if (!in) {
                    a.error = "cannot read --load-list file '" + path + "'";
                    continue;
                }
                a.load = true;
                for (std::string line; std::getline(in, line);) {
                    if (!line.empty() && line.back() == '\r') line.pop_back();
                    if (!line.empty()) a.ids.push_back(line);
                }
            } else {
                argv[out++] = argv[i];
            }
        }
        argc = out;
        argv[argc] = nullptr;
        return a;
    }
};

/// Collects what the running test writes to fd 1 (printf, std::cout): fd 1
/// points at a temporary file while a test runs, and the packets go to a
/// duplicate of the real stdout.
class stdout_capture {
public:
    stdout_capture() {
        real_ = ::dup(1);
        std::FILE* f = std::tmpfile();
        tmp_ = f ? ::dup(::fileno(f)) : -1;
        if (f) std::fclose(f);
    }
    ~stdout_capture() {
        if (tmp_ >= 0) ::close(tmp_);
    }
    /// Where packets go.
    int real_stdout() const { return real_ < 0 ? 1 : real_; }
    void begin() {
        if (real_ < 0 || tmp_ < 0) return;
        std::fflush(stdout);
        (void)::ftruncate(tmp_, 0);
        (void)::lseek(tmp_, 0, SEEK_SET);
        ::dup2(tmp_, 1);
    }
    /// What was printed since begin(); fd 1 is the real stdout again.
    std::string end() {
        std::string text;
        if (real_ < 0 || tmp_ < 0) return text;
        std::fflush(stdout);
        ::dup2(real_, 1);
        (void)::lseek(tmp_, 0, SEEK_SET);
        char buf[65536];
        for (ssize_t n; (n = ::read(tmp_, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
        return text;
    }

private:
    int real_ = -1;
    int tmp_ = -1;
};

}  // namespace testr::reporters
