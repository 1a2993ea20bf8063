// The REST API over the RIB and the BMP collector (JSON, GET):
//   /api/v1/rib/lookup?ip=A[&exporter=E][&nexthop=N][&rd=RD]  the route a flow would be
//       enriched with: longest match, preferring routes from exporter E and with next hop N
//   /api/v1/rib/routes?prefix=P[&rd=RD]                        every route of exactly P
//   /api/v1/bmp/routers                                        BMP sessions, current or last
//   /api/v1/bmp/peers                                          peers in the RIB, live or stale
// A route is {prefix, rd, next_hop, asn, as_path, communities, large_communities,
// route_targets, router, peer, peer_asn, rib, path_id}. Errors are {"error": "..."} with 400
// (bad parameter) or 404 (no route).
//
// Threading model: handlers run on the HTTP server's threads; lookups share one RIB reader
// under a mutex (the API is not on the per-flow path).
#pragma once

#include "bmp/collector.h"
#include "http/server.h"
#include "rib/rib.h"

namespace ribflow::http {

class Api {
 public:
  // `collector` may be null (no BMP listener): the /bmp endpoints then list nothing.
  Api(ribflow::Rib* rib, const bmp::Collector* collector);
  // Registers the endpoints; before server.Start().
  void Register(HttpServer& server);

  HttpResponse Lookup(const HttpRequest& request);
  HttpResponse Routes(const HttpRequest& request);
  HttpResponse Routers(const HttpRequest& request) const;
  HttpResponse Peers(const HttpRequest& request) const;

 private:
  ribflow::Rib* rib_;
  const bmp::Collector* collector_;
  std::mutex reader_mutex_;
  ribflow::Rib::Reader reader_;
};

}  // namespace ribflow::http
