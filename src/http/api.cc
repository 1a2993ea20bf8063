#include "http/api.h"

#include <ctime>

#include "bmp/session.h"
#include "common/route_distinguisher.h"
#include "http/json_writer.h"

namespace ribflow::http {

namespace {

std::string Community(uint32_t value) {
  return std::to_string(value >> 16) + ":" + std::to_string(value & 0xffff);
}

std::string Iso8601(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

HttpResponse Json(JsonWriter& json) {
  HttpResponse response;
  response.body = json.Take();
  return response;
}

// The optional rd parameter; false (and a response) when it is malformed.
bool ParseRd(const HttpRequest& request, RouteDistinguisher* rd, HttpResponse* error) {
  *rd = 0;
  if (auto text = request.Param("rd")) {
    auto parsed = ParseRouteDistinguisher(*text);
    if (!parsed) {
      *error = ErrorResponse(400, "rd: expected ASN:N or IPv4:N");
      return false;
    }
    *rd = *parsed;
  }
  return true;
}

void WriteRoute(JsonWriter& json, const ribflow::Rib& rib, const LookupResult& route,
                RouteDistinguisher rd) {
  json.BeginObject();
  json.Key("prefix");
  json.String(route.prefix.ToString());
  json.Key("rd");
  json.String(FormatRouteDistinguisher(rd));
  json.Key("next_hop");
  json.String(route.next_hop.ToString());
  const InternedAttributes* attributes = route.attributes;
  json.Key("asn");
  json.Uint(attributes ? attributes->origin_asn() : 0);
  json.Key("as_path");
  json.BeginArray();
  if (attributes) {
    for (uint32_t asn : attributes->as_path()) json.Uint(asn);
  }
  json.EndArray();
  json.Key("communities");
  json.BeginArray();
  if (attributes) {
    for (uint32_t community : attributes->communities()) json.String(Community(community));
  }
  json.EndArray();
  json.Key("large_communities");
  json.BeginArray();
  if (attributes) {
    for (const LargeCommunity& c : attributes->large_communities()) {
      json.String(std::to_string(c.global_admin) + ":" + std::to_string(c.local_data1) + ":" +
                  std::to_string(c.local_data2));
    }
  }
  json.EndArray();
  json.Key("route_targets");
  json.BeginArray();
  if (attributes) {
    for (uint64_t rt : attributes->route_targets()) json.String(FormatRouteTarget(rt));
  }
  json.EndArray();
  if (const std::optional<PeerKey> peer = rib.peer_key(route.peer)) {
    json.Key("router");
    json.String(peer->router.ToString());
    json.Key("peer");
    json.String(peer->peer.ToString());
    json.Key("peer_asn");
    json.Uint(peer->asn);
    json.Key("rib");
    json.String(bmp::RibKindName(peer->rib));
  }
  json.Key("path_id");
  json.Uint(route.path_id);
  json.EndObject();
}

}  // namespace

Api::Api(ribflow::Rib* rib, const bmp::Collector* collector)
    : rib_(rib), collector_(collector), reader_(*rib) {}

void Api::Register(HttpServer& server) {
  server.Handle("/api/v1/rib/lookup", [this](const HttpRequest& r) { return Lookup(r); });
  server.Handle("/api/v1/rib/routes", [this](const HttpRequest& r) { return Routes(r); });
  server.Handle("/api/v1/bmp/routers", [this](const HttpRequest& r) { return Routers(r); });
  server.Handle("/api/v1/bmp/peers", [this](const HttpRequest& r) { return Peers(r); });
}

HttpResponse Api::Lookup(const HttpRequest& request) {
  const auto ip_text = request.Param("ip");
  const auto ip = ip_text ? IpAddress::Parse(*ip_text) : std::nullopt;
  if (!ip) return ErrorResponse(400, "ip: expected an IPv4 or IPv6 address");
  LookupHints hints;
  HttpResponse error;
  if (!ParseRd(request, &hints.rd, &error)) return error;
  if (auto exporter = request.Param("exporter")) {
    hints.exporter = IpAddress::Parse(*exporter);
    if (!hints.exporter) return ErrorResponse(400, "exporter: expected an IP address");
  }
  if (auto next_hop = request.Param("nexthop")) {
    hints.next_hop = IpAddress::Parse(*next_hop);
    if (!hints.next_hop) return ErrorResponse(400, "nexthop: expected an IP address");
  }
  JsonWriter json;
  std::lock_guard lock(reader_mutex_);
  reader_.Pin();
  LookupResult result;
  const bool found = reader_.Lookup(*ip, hints, &result);
  if (found) WriteRoute(json, *rib_, result, hints.rd);
  reader_.Unpin();
  if (!found) return ErrorResponse(404, "no route");
  return Json(json);
}

HttpResponse Api::Routes(const HttpRequest& request) {
  const auto text = request.Param("prefix");
  const auto prefix = text ? Prefix::Parse(*text) : std::nullopt;
  if (!prefix) return ErrorResponse(400, "prefix: expected ADDRESS/LENGTH with no host bits");
  RouteDistinguisher rd;
  HttpResponse error;
  if (!ParseRd(request, &rd, &error)) return error;
  JsonWriter json;
  json.BeginObject();
  json.Key("routes");
  json.BeginArray();
  {
    std::lock_guard lock(reader_mutex_);
    reader_.Pin();
    reader_.RoutesOf(*prefix, rd,
                     [&](const LookupResult& route) { WriteRoute(json, *rib_, route, rd); });
    reader_.Unpin();
  }
  json.EndArray();
  json.EndObject();
  return Json(json);
}

HttpResponse Api::Routers(const HttpRequest&) const {
  JsonWriter json;
  json.BeginObject();
  json.Key("routers");
  json.BeginArray();
  if (collector_ != nullptr) {
    for (const bmp::RouterStatus& router : collector_->Routers()) {
      json.BeginObject();
      json.Key("address");
      json.String(router.session.router.ToString());
      json.Key("state");
      json.String(router.connected ? "up" : "down");
      json.Key("since");
      json.String(Iso8601(router.since));
      json.Key("sys_name");
      json.String(router.session.sys_name);
      json.Key("sys_descr");
      json.String(router.session.sys_descr);
      json.Key("messages");
      json.Uint(router.session.messages);
      json.Key("peers");
      json.Uint(router.live_peers + router.stale_peers);
      json.Key("live_peers");
      json.Uint(router.live_peers);
      json.Key("stale_peers");
      json.Uint(router.stale_peers);
      json.Key("routes");
      json.Int(router.routes);
      json.Key("queue_bytes");
      json.Uint(router.queue_bytes);
      json.Key("max_read_gap_seconds");
      json.Double(router.max_read_gap_seconds);
      json.Key("terminated");
      json.Bool(router.session.terminated);
      json.Key("close_reason");
      json.String(router.session.close_reason);
      json.EndObject();
    }
  }
  json.EndArray();
  json.EndObject();
  return Json(json);
}

HttpResponse Api::Peers(const HttpRequest&) const {
  const auto now = ribflow::Rib::Clock::now();
  JsonWriter json;
  json.BeginObject();
  json.Key("peers");
  json.BeginArray();
  for (const ribflow::Rib::PeerStatus& peer : rib_->Peers()) {
    json.BeginObject();
    json.Key("router");
    json.String(peer.key.router.ToString());
    json.Key("address");
    json.String(peer.key.peer.ToString());
    json.Key("asn");
    json.Uint(peer.key.asn);
    json.Key("rd");
    json.String(FormatRouteDistinguisher(peer.key.distinguisher));
    json.Key("rib");
    json.String(bmp::RibKindName(peer.key.rib));
    json.Key("state");
    json.String(peer.stale ? "stale" : "up");
    if (peer.stale) {
      json.Key("flush_in_seconds");
      json.Double(std::chrono::duration<double>(peer.stale_deadline - now).count());
    }
    json.Key("routes");
    json.Int(peer.routes);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return Json(json);
}

}  // namespace ribflow::http
