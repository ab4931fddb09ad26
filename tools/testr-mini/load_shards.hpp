// tools/testr-mini/load_shards.hpp - `load --shards`: what each CI shard's
// stream delivered, and the lines that say what one did not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <testr/shard.hpp>

#include "app.hpp"
#include "file_bytes.hpp"
#include "prepare.hpp"
#include "report_commands.hpp"

namespace testr::cli {

/// What one shard's stream delivered, for saying what it did not.
struct shard_state {
    std::string path;
    std::size_t index = 0;                    ///< K of shard-K: the marker's, else the position (from 1); 0: unknown
    std::optional<shard_marker> marker;       ///< what `run --shard` wrote first in the stream
    std::string open_error;                   ///< set: the file could not be read at all
    std::uint64_t bytes = 0;
    std::size_t results = 0;                  ///< outcome events of real tests
    std::vector<std::string> parser_errors;   ///< "Parser Error" texts: corrupt or cut-short packets
    std::unordered_set<std::string> started;  ///< inprogress and no outcome yet

    std::string name() const { return "shard " + (index ? std::to_string(index) : std::string("?")) + " (" + path + ")"; }
    bool reported() const { return open_error.empty() && bytes != 0; }
    /// Its share of the split was empty, and it said so.
    bool empty_share() const { return marker && marker->tests == 0 && results == 0; }
};

/// Problems of the shards, one line each (printed as warnings); empty when
/// every shard delivered whole.
std::vector<std::string> shard_problems(const std::vector<shard_state>& shards);

/// How many shards never reported: inputs that could not be read or were
/// empty, and shard numbers the markers name that no input is; a shard
/// that shard_problems names twice (by its number and by an input of
/// unknown number) counts once.
std::size_t shards_not_reported(const std::vector<shard_state>& shards);

/// "Shards: 3 (shard-1: 12 results, ...)".
std::string shards_note(const std::vector<shard_state>& shards);

/// A shard given as a project directory: its repository's latest run, or
/// why there is none (noted in `s`: a shard's own run that could not be
/// stored is one that never reported, not an error of the merge).
std::optional<file_bytes> latest_run_of(const std::string& dir, shard_state& s);

/// The whole suite's ids, when the caller said where to find them.
std::optional<ids_t> expected_ids(const app& a, const shard_options& o);

/// shard-K for the input whose stream starts with `head`; K and the
/// marker noted in `s`.
std::string shard_tag(shard_state& s, std::string_view head);

/// The ids sorted, one per line, at most `most` of them.
std::string id_lines(std::vector<std::string> ids, std::size_t most = 20);

}  // namespace testr::cli
