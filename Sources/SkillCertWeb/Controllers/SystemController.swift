import SkillCertPersistence
import SQLKit
import Vapor

/// Health, readiness, metrics, static assets and the OpenAPI document.
enum SystemController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "healthz", access: .everyone, use: health)
        r.endpoint(.GET, "readyz", access: .everyone, use: ready)
        r.endpoint(.GET, "metrics", access: .everyone, use: metrics)
        r.endpoint(.GET, "static/app.css", access: .everyone) { req in asset(Assets.css, type: .css) }
        r.endpoint(.GET, "static/app.js", access: .everyone) { req in asset(Assets.js, type: .init(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])) }
        r.endpoint(.GET, "api/v1/openapi.json", access: .everyone,
                   api: APIDoc("This document", tag: "system", response: nil), use: openAPI)
    }

    /// `/healthz`: the process is alive.
    @Sendable static func health(req: Request) async throws -> HealthDTO {
        HealthDTO(status: "ok", database: nil)
    }

    /// `/readyz`: the database answers a query.
    @Sendable static func ready(req: Request) async throws -> Response {
        do {
            guard let sql = req.db as? any SQLDatabase else { throw Abort(.serviceUnavailable) }
            try await sql.raw("SELECT 1").run()
            return try await HealthDTO(status: "ready", database: DatabasePreparation.dialectName(req.db))
                .encodeResponse(for: req)
        } catch {
            req.logger.warning("readiness check failed: \(error)")
            return try await HealthDTO(status: "unavailable", database: nil)
                .encodeResponse(status: .serviceUnavailable, for: req)
        }
    }

    /// `/metrics` in the Prometheus text format.
    @Sendable static func metrics(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: req.application.appMetrics.render()))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "plain",
                                                     parameters: ["version": "0.0.4", "charset": "utf-8"])
        return response
    }

    static func asset(_ text: String, type: HTTPMediaType, maxAge: Int = 3600) -> Response {
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.contentType = type
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=\(maxAge)")
        return response
    }

    /// `/api/v1/openapi.json`, generated from the routes' own declarations.
    @Sendable static func openAPI(req: Request) async throws -> Response {
        let data = try OpenAPIDocument.json(for: req.application.routes.all)
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = .json
        return response
    }
}
