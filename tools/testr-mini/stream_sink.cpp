// tools/testr-mini/stream_sink.cpp - see stream_sink.hpp.
#include "stream_sink.hpp"

#include <cstring>

#include "app.hpp"

namespace testr::cli {

void stream_sink::on(const events::stream_event& e) {
    // With the event, so that committing need not decode the run again.
    if (!store_error_)
        if (auto ok = writer_.append(e.encoded, e.event); !ok) store_error_ = ok.error().message;
    if (to_stdout_ && !stdout_error_)
        if (int err = put_stdout(e.encoded)) stdout_error_ = std::string("cannot write to stdout: ") + std::strerror(err);
    if (summary_) summary_->add(e.event);
}

}  // namespace testr::cli
