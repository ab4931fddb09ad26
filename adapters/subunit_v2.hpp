// subunit_v2.hpp - the subunit v2 codec: what every part of testr-mini reads
// and writes test results with.
//
// Wire format: ../shared/reference/subunit-v2.md; reference behaviour:
// python3-subunit's subunit/v2.py (ByteStreamToStreamResult and
// StreamResultToBytes). Error behaviour and deviations: docs/subunit.md.
#pragma once

#include <testr/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace testr::subunit {

/// A test's state as carried by the low 3 bits of a packet's flags.
enum class status : std::uint8_t {
    none = 0,
    exists = 1,
    inprogress = 2,
    success = 3,
    uxsuccess = 4,
    skip = 5,
    fail = 6,
    xfail = 7,
};

/// "none", "exists", ... "xfail": the names python-subunit uses.
std::string_view to_string(status s) noexcept;
/// The inverse of to_string; nullopt for an unknown name.
std::optional<status> parse_status(std::string_view name) noexcept;

/// A UTC instant as the wire carries it: seconds since 1970 and nanoseconds.
/// The encoder accepts seconds in [0, 2^32) and nanoseconds < 10^9; the
/// decoder passes on what the packet holds (nanoseconds may reach 2^30 - 1).
struct timestamp {
    std::int64_t seconds = 0;
    std::uint32_t nanoseconds = 0;

    friend bool operator==(const timestamp&, const timestamp&) = default;
};

/// `to - from`, exact to the nanosecond; negative when the clock went back.
/// A test's duration is elapsed(inprogress event's time, final event's time).
std::chrono::nanoseconds elapsed(const timestamp& from, const timestamp& to) noexcept;

/// The timestamp of a system_clock instant (truncated to nanoseconds).
timestamp to_timestamp(std::chrono::system_clock::time_point t) noexcept;

/// One packet's worth of information; every field of the format.
/// An optional field is on the wire exactly when it has a value; tags are on
/// the wire when the list is non-empty. `String` is std::string (event: owns
/// its bytes) or std::string_view (event_view: borrows them).
template <class String>
struct basic_event {
    std::optional<String> test_id;
    status test_status = status::none;
    std::vector<String> tags;
    std::optional<timestamp> time;
    std::optional<String> mime_type;
    std::optional<String> file_name;  ///< a file chunk is present iff this is set
    String file_bytes{};              ///< must be empty when file_name is not set
    bool eof = false;                 ///< last chunk of this file
    std::optional<String> route_code;
    bool runnable = true;             ///< python-subunit's default, as in its writer

    friend bool operator==(const basic_event&, const basic_event&) = default;
};

using event = basic_event<std::string>;
using event_view = basic_event<std::string_view>;

/// Copies a borrowed event into an owning one.
event to_event(const event_view& v);
/// Borrows an owning event's bytes (valid while `e` lives and is unchanged).
event_view to_view(const event& e);

/// Writers keep packets below this size (the largest 3-byte varint + 1).
inline constexpr std::size_t max_packet_size = 4 * 1024 * 1024 - 1;

/// Appends the packet(s) for `e` to `out`: smallest varints, CRC-32 (libdeflate's;
/// the same sums as zlib's crc32()).
/// A file chunk too big for one packet becomes several packets of the same
/// file; each repeats every field but status and eof, which only the last
/// carries. Fails, leaving `out` unchanged, on a string holding NUL or invalid
/// UTF-8, file bytes without a file name, a timestamp outside the wire range,
/// or an event that is too big even without its file bytes.
result<void> encode(const event& e, std::string& out);
result<void> encode(const event_view& e, std::string& out);

/// Streaming decoder for a byte stream as it arrives from a pipe or file.
///
/// Feed it chunks of any size, split anywhere; it calls the handler for each
/// event as soon as its bytes are complete, in stream order. The views in the
/// event and `raw` stay valid only during the call.
///
/// Bytes that are not packets become file events named "stdout" (runnable,
/// nothing else set): one per run of such bytes within a feed() call, at most
/// 1 MiB each, never splitting a UTF-8 character (an incomplete one at the end
/// of a chunk waits for the next chunk). A 0xB3 byte inside a UTF-8 character
/// is text, elsewhere it starts a packet.
///
/// A corrupt packet (bad CRC, bad length, bad field, truncated at finish())
/// becomes two events, as python-subunit reports it: test id
/// "subunit.parser", file "Packet data" (application/octet-stream) holding
/// the bytes, then status fail with file "Parser Error" (text/plain;charset=utf8)
/// holding a message that ends with "(packet at byte offset N)". Decoding
/// goes on after the bytes the packet's length claimed, as the reference does
/// (after its header when the length itself is impossible).
///
/// `raw` is the slice of the input an event was decoded from (empty for the
/// "Parser Error" event): concatenated over a stream, the raw slices are the
/// stream, so nothing is ever dropped. The decoder buffers at most one
/// packet (< 4 MiB) whatever the input claims.
///
/// The handler must not call back into the decoder. An exception it throws
/// leaves feed()/finish() and the decoder unusable (destroy it).
class decoder {
public:
    using handler = std::function<void(const event_view& e, std::string_view raw)>;

    explicit decoder(handler on_event);

    /// Decodes what `bytes` completes; keeps an unfinished packet or
    /// character for the next call. Never fails: bad input becomes events.
    void feed(std::string_view bytes);

    /// Ends the stream: a pending partial packet is reported as truncated, a
    /// pending partial character as stdout. The decoder is then ready for a
    /// new stream, with offsets counted from 0 again.
    void finish();

    /// Bytes fed since construction or the last finish().
    std::uint64_t offset() const noexcept { return fed_; }

private:
    std::size_t scan(std::string_view data);
    std::size_t scan_text(std::string_view data, std::size_t pos);
    void emit_text(std::string_view text);
    void emit_packet(std::string_view packet, std::uint64_t at, std::uint32_t crc);
    void emit_error(std::string_view bytes, std::string message);

    handler on_event_;
    event_view ev_;                 // reused so decoding does not allocate per event
    std::string pending_;           // start of an unfinished packet
    std::string tail_;              // start of an unfinished UTF-8 character
    std::string scratch_;           // tail_ joined with the text that follows it
    std::uint8_t utf8_state_ = 0;   // inside a UTF-8 character: detail::utf8_dfa's state
    std::uint64_t fed_ = 0;         // stream offset just past the last fed byte
    std::uint64_t base_ = 0;        // stream offset of the data being scanned
};

}  // namespace testr::subunit
