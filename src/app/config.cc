#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "common/route_distinguisher.h"

namespace ribflow::app {

namespace {

// Errors carry the key's path ("bmp.keep") and the YAML line.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string Where(const std::string& key, const YAML::Node& node) {
  return key + " (line " + std::to_string(node.Mark().line + 1) + ")";
}

void CheckKeys(const YAML::Node& map, const std::string& path, const std::set<std::string>& known) {
  if (!map.IsMap()) throw ConfigError(Where(path, map) + ": expected a mapping");
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (!known.contains(key)) {
      std::string full_key = path;
      if (!full_key.empty()) full_key += '.';
      full_key += key;
      throw ConfigError(Where(full_key, entry.first) + ": unknown key");
    }
  }
}

template <typename T>
T Scalar(const YAML::Node& node, const std::string& key) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(Where(key, node) + ": invalid value \"" + YAML::Dump(node) + "\"");
  }
}

std::chrono::milliseconds Duration(const YAML::Node& node, const std::string& key) {
  const std::string text = Scalar<std::string>(node, key);
  double value = 0;
  const char* end = text.data() + text.size();
  auto [number_end, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || value < 0) {
    throw ConfigError(Where(key, node) + ": expected a duration (300ms, 5s, 5m, 1h)");
  }
  const std::string_view unit(number_end, end);
  double milliseconds;
  if (unit.empty() || unit == "s") {
    milliseconds = value * 1000;
  } else if (unit == "ms") {
    milliseconds = value;
  } else if (unit == "m") {
    milliseconds = value * 60'000;
  } else if (unit == "h") {
    milliseconds = value * 3'600'000;
  } else {
    throw ConfigError(Where(key, node) + ": unknown duration unit \"" + std::string(unit) + "\"");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(milliseconds));
}

std::vector<std::string> StringList(const YAML::Node& node, const std::string& key) {
  if (!node.IsSequence()) throw ConfigError(Where(key, node) + ": expected a list");
  std::vector<std::string> items;
  for (const auto& item : node) items.push_back(Scalar<std::string>(item, key));
  return items;
}

void ParseBmp(const YAML::Node& node, bmp::CollectorConfig* config) {
  CheckKeys(node, "bmp",
            {"listen", "receive_buffer", "allowed_prefixes", "queue_bytes", "read_chunk",
             "apply_threads", "sweep_budget", "keep", "max_message_length", "ribs", "rds",
             "route_targets", "keep_as_paths", "keep_communities"});
  if (auto n = node["listen"]) config->listen = Scalar<std::string>(n, "bmp.listen");
  if (auto n = node["receive_buffer"])
    config->receive_buffer = Scalar<int>(n, "bmp.receive_buffer");
  if (auto n = node["allowed_prefixes"]) {
    for (const std::string& text : StringList(n, "bmp.allowed_prefixes")) {
      const auto prefix = Prefix::Parse(text);
      if (!prefix) throw ConfigError(Where("bmp.allowed_prefixes", n) + ": bad prefix " + text);
      config->allowed_prefixes.push_back(*prefix);
    }
  }
  if (auto n = node["queue_bytes"]) config->queue_bytes = Scalar<size_t>(n, "bmp.queue_bytes");
  if (auto n = node["read_chunk"]) config->read_chunk = Scalar<size_t>(n, "bmp.read_chunk");
  if (auto n = node["apply_threads"]) config->apply_threads = Scalar<int>(n, "bmp.apply_threads");
  if (auto n = node["sweep_budget"]) config->sweep_budget = Scalar<size_t>(n, "bmp.sweep_budget");
  if (auto n = node["keep"]) config->session.keep = Duration(n, "bmp.keep");
  if (auto n = node["max_message_length"]) {
    config->session.framer.max_message_length = Scalar<uint32_t>(n, "bmp.max_message_length");
  }
  bmp::ImportPolicy& policy = config->session.policy;
  if (auto n = node["ribs"]) {
    policy.ribs.fill(false);
    for (const std::string& name : StringList(n, "bmp.ribs")) {
      const auto kind = bmp::ParseRibKind(name);
      if (!kind) {
        throw ConfigError(Where("bmp.ribs", n) + ": unknown RIB " + name +
                          " (adj_rib_in_pre_policy, adj_rib_in_post_policy, loc_rib, "
                          "adj_rib_out_pre_policy, adj_rib_out_post_policy)");
      }
      policy.ribs[static_cast<size_t>(*kind)] = true;
    }
  }
  if (auto n = node["rds"]) {
    for (const std::string& text : StringList(n, "bmp.rds")) {
      const auto rd = ParseRouteDistinguisher(text);
      if (!rd) throw ConfigError(Where("bmp.rds", n) + ": bad route distinguisher " + text);
      policy.rds.push_back(*rd);
    }
  }
  if (auto n = node["route_targets"]) {
    for (const std::string& text : StringList(n, "bmp.route_targets")) {
      const auto rt = ParseRouteTarget(text);
      if (!rt) throw ConfigError(Where("bmp.route_targets", n) + ": bad route target " + text);
      policy.route_targets.push_back(*rt);
    }
  }
  if (auto n = node["keep_as_paths"]) policy.keep_as_paths = Scalar<bool>(n, "bmp.keep_as_paths");
  if (auto n = node["keep_communities"]) {
    policy.keep_communities = Scalar<bool>(n, "bmp.keep_communities");
  }
}

}  // namespace

absl::StatusOr<OutletConfig> ParseOutletConfig(std::string_view yaml) {
  OutletConfig config;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return config;  // an empty file: every default
    CheckKeys(root, "", {"bmp", "http", "rib"});
    if (auto n = root["bmp"]) ParseBmp(n, &config.bmp);
    if (auto n = root["http"]) {
      CheckKeys(n, "http", {"listen", "threads", "request_timeout"});
      if (auto v = n["listen"]) config.http.listen = Scalar<std::string>(v, "http.listen");
      if (auto v = n["threads"]) config.http.threads = Scalar<int>(v, "http.threads");
      if (auto v = n["request_timeout"]) {
        config.http.request_timeout_ms =
            static_cast<int>(Duration(v, "http.request_timeout").count());
      }
    }
    if (auto n = root["rib"]) {
      CheckKeys(n, "rib", {"max_peers"});
      if (auto v = n["max_peers"]) config.rib.max_peers = Scalar<uint32_t>(v, "rib.max_peers");
    }
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(e.what());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string("YAML: ") + e.what());
  }
  if (absl::Status status = config.Validate(); !status.ok()) return status;
  return config;
}

absl::StatusOr<OutletConfig> LoadOutletConfig(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError("cannot read " + path);
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<OutletConfig> config = ParseOutletConfig(text.str());
  if (!config.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(config.status().message()));
  }
  return config;
}

}  // namespace ribflow::app
