// subunit_v1.hpp - the subunit v1 text protocol, read into the v2 events
// that the rest of testr-mini reads (subunit_v2.hpp).
//
// v1 is what testrepository (format 1) stores its runs and failing list in.
// Reference behaviour: python-subunit's TestProtocolServer (subunit/__init__.py,
// details.py, chunked.py) feeding testtools' ExtendedToStreamDecorator, which
// is what `subunit-1to2` and testr itself use. Where the reference raises on
// bad input, this reader reports it instead; docs/repository.md ("Format 1")
// lists each case.
#pragma once

#include "subunit_v2.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace testr::subunit::v1 {

/// Streaming reader of a v1 stream: feed bytes split anywhere, then finish().
///
/// Each test becomes the reference's events: `inprogress` at `test:` (no
/// tags), one file event per detail (eof set, the detail's MIME type, the
/// outcome's time), then the outcome with the tags current at that point.
/// Timestamps are the last `time:` line's; an event before any has none
/// (the reference would use the wall clock of the conversion).
/// Lines that are not protocol become "stdout" file events, consecutive
/// ones merged, as a v2 stream's interleaved bytes are.
/// A stream that ends inside a test gives that test a failure with the
/// reference's "lost connection during ..." traceback.
///
/// Input the reference cannot read (a malformed `time:`, chunk header or
/// MIME line; text that is not UTF-8 or holds NUL where a name is expected)
/// becomes the v2 decoder's report: test id "subunit.parser", a file
/// "Packet data" with the offending line, then status fail with a file
/// "Parser Error" whose message ends with "(line N, byte offset M)".
/// Reading carries on: a broken detail is dropped and the test's outcome
/// still reported at its closing "]".
///
/// Memory: the current line and the current test's details; nothing is
/// reserved from a length the input claims. The views in an event stay
/// valid only during the handler call, which must not call back.
class decoder {
public:
    using handler = std::function<void(const event_view& e)>;

    explicit decoder(handler on_event);

    void feed(std::string_view bytes);
    /// Ends the stream (a last line without newline is read as the
    /// reference reads it: its last byte dropped, as if it were one); the
    /// decoder is then ready for a new stream.
    void finish();

    /// Bytes fed since construction or the last finish().
    std::uint64_t offset() const noexcept { return fed_; }

private:
    enum class state { outside, in_test, simple_details, multipart_details };
    enum class part_state { content_type, name, chunk_length, chunk_body, skip };

    void line(std::string_view l);
    void command_line(std::string_view l);
    void details_line(std::string_view l);
    void chunk_bytes(std::string_view l);
    void outcome(std::string_view cmd, std::string_view l, std::size_t offset);
    void report_outcome();
    void lost_connection();
    void tags_line(std::string_view rest);
    void time_line(std::string_view value);
    void progress_line(std::string_view rest);
    void stdout_line(std::string_view l);
    void flush_stdout();
    void bad_line(const std::string& why);
    void bad_detail(const std::string& why);
    void end_detail();
    void end_details();
    void emit(const event_view& e);

    handler on_event_;
    std::string partial_;          // an unterminated line carried to the next feed()
    std::string stdout_;           // non-protocol lines not yet emitted
    std::uint64_t fed_ = 0;        // offset just past the last byte fed
    std::uint64_t line_at_ = 0;    // offset of the line being read
    std::uint64_t line_no_ = 0;    // its number, from 1
    std::string_view line_;        // the line itself, for error reports

    state state_ = state::outside;
    std::string test_;             // the test between `test:` and its outcome
    std::set<std::string> tags_;       // the stream's tags
    std::set<std::string> test_tags_;  // inside a test: the stream's plus its own
    std::optional<timestamp> now_;

    // The outcome being read with details.
    status outcome_ = status::none;
    const char* outcome_label_ = "";
    std::string simple_;  // a simple ([ ... ]) detail's bytes
    struct detail {
        std::string name, mime, bytes;
    };
    std::vector<detail> details_;  // in first-appearance order; a repeated name replaces the bytes
    part_state part_ = part_state::content_type;
    std::string part_mime_, part_name_, part_bytes_;
    std::string length_line_;      // the chunk length read so far
    std::uint64_t chunk_left_ = 0;
};

/// A whole v1 stream as v2 bytes (encoder output, one packet per event).
std::string to_v2(std::string_view v1);

}  // namespace testr::subunit::v1
