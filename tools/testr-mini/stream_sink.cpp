// tools/testr-mini/stream_sink.cpp - see stream_sink.hpp.
#include "stream_sink.hpp"

#include <algorithm>
#include <cstring>

#include "app.hpp"

namespace testr::cli {

void stream_sink::on(const events::stream_event& e) {
    const subunit::event_view* event = &e.event;
    std::string_view encoded = e.encoded;
    subunit::event_view& tagged = tagged_;
    if (!tag_.empty() && std::find(e.event.tags.begin(), e.event.tags.end(), std::string_view(tag_)) == e.event.tags.end()) {
        tagged = e.event;  // into the tags' old capacity
        tagged.tags.push_back(tag_);
        scratch_.clear();
        // It encoded once without the tag, and the tag is plain ASCII.
        if (subunit::encode(tagged, scratch_)) {
            event = &tagged;
            encoded = scratch_;
        }
    }
    // With the event, so that committing need not decode the run again.
    if (!store_error_)
        if (auto ok = writer_.append(encoded, *event); !ok) store_error_ = ok.error().message;
    if (to_stdout_ && !stdout_error_)
        if (int err = put_stdout(encoded)) stdout_error_ = std::string("cannot write to stdout: ") + std::strerror(err);
    if (summary_) summary_->add(*event);
}

}  // namespace testr::cli
