import Vapor

/// Logs one structured line per request with its request id, status and duration; echoes the id in
/// `X-Request-Id`; counts requests for Prometheus; adds the security headers every response carries.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next.respond(to: req)
        } catch {
            response = ErrorMapper.response(for: error, req: req)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = req.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        response.headers.replaceOrAdd(name: "X-Request-Id", value: req.id)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        // The header's text, not `contentType`, which parses every parameter of it on every response.
        if response.headers.first(name: .contentType)?.utf8.starts(with: "text/html".utf8) == true {
            response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
            response.headers.replaceOrAdd(name: "Content-Security-Policy",
                                          value: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        }
        req.application.appMetrics.request(method: req.method.rawValue, route: route, status: response.status.code,
                                           seconds: seconds)
        req.logger.info("request", metadata: [
            "method": .string(req.method.rawValue),
            "path": .string(req.url.path),
            "route": .string(route),
            "status": .stringConvertible(response.status.code),
            "ms": .string(String(format: "%.1f", seconds * 1000)),
            "user": .string(req.signedIn?.username ?? "-"),
        ])
        return response
    }
}
