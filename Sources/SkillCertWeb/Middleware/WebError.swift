import SkillCertCore
import SkillCertDocuments
import Vapor

/// An error the web layer raises itself, with a status, a stable code and messages in both languages.
struct WebError: Error, Sendable {
    var status: HTTPResponseStatus
    var code: String
    var zh: String
    var en: String
    var field: String?
    /// Sent with the error response (`Retry-After` on a 429).
    var headers: HTTPHeaders = [:]

    init(_ status: HTTPResponseStatus, code: String, zh: String, en: String, field: String? = nil, headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field
        self.headers = headers
    }

    static func badField(_ field: String, code: String = "invalid_value", zh: String, en: String) -> WebError {
        WebError(.badRequest, code: code, zh: zh, en: en, field: field)
    }
}

/// The API's error body: `{"error":{"code","message","field","details"}}`.
struct APIErrorBody: Content {
    struct Detail: Content {
        var code: String
        var message: String
        var field: String?
        /// For file imports: the row (1-based, as the spreadsheet numbers it; 0 for the whole file) and column.
        var row: Int? = nil
        var column: String? = nil
    }

    struct Inner: Content {
        var code: String
        var message: String
        var field: String?
        var details: [Detail]
    }

    var error: Inner
}

/// Maps every error to a response in one place: the API gets JSON with a code, pages get a page in the
/// visitor's language. Internals never reach the user; unexpected errors are logged with the request id.
struct ErrorMapper: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: req)
        } catch {
            return Self.response(for: error, req: req)
        }
    }

    struct Mapped {
        var status: HTTPResponseStatus
        var errors: [FieldError]
        var headers: HTTPHeaders = [:]
    }

    static func map(_ error: any Error, req: Request) -> Mapped {
        switch error {
        case let e as WebError:
            return Mapped(status: e.status, errors: [FieldError(code: e.code, field: e.field ?? "", zh: e.zh, en: e.en)], headers: e.headers)
        case let e as ValidationFailure:
            return Mapped(status: .unprocessableEntity, errors: e.errors)
        case let e as FieldError:
            return Mapped(status: .unprocessableEntity, errors: [e])
        case let e as DomainError:
            switch e {
            case .notFound(let what):
                return Mapped(status: .notFound, errors: [FieldError(code: "not_found", field: "",
                                                                     zh: "找不到所请求的内容", en: "\(what) not found")])
            case .conflict(let code, let zh, let en):
                return Mapped(status: .conflict, errors: [FieldError(code: code, field: "", zh: zh, en: en)])
            case .forbidden(let code, let zh, let en):
                return Mapped(status: .forbidden, errors: [FieldError(code: code, field: "", zh: zh, en: en)])
            }
        case let e as DecodingError:
            return Mapped(status: .badRequest, errors: [decodingError(e)])
        case PDFError.invalidTicket(let number, let reason):
            return Mapped(status: .unprocessableEntity, errors: [FieldError(
                code: "ticket_unprintable", field: "", zh: "准考证 \(number) 无法生成：考生照片无法读取，请让考生重新上传照片（\(reason)）",
                en: "ticket \(number) cannot be drawn: \(reason)")])
        case let e as any AbortError:
            let (code, zh) = abortText(e.status)
            // Vapor's own reasons (body too large, bad URL encoding) are safe to show in English.
            return Mapped(status: e.status, errors: [FieldError(code: code, field: "", zh: zh, en: e.reason)],
                          headers: e.headers)
        default:
            req.logger.error("unexpected error: \(String(reflecting: error))")
            return Mapped(status: .internalServerError, errors: [FieldError(
                code: "internal_error", field: "", zh: "服务器内部错误，请稍后重试或联系管理员（请求编号 \(req.id)）",
                en: "internal error (request \(req.id))")])
        }
    }

    static func response(for error: any Error, req: Request) -> Response {
        let mapped = map(error, req: req)
        if req.isAPI || req.headers.accept.mediaTypes.first == .json && !req.headers.accept.mediaTypes.contains(.html) {
            let first = mapped.errors.first ?? FieldError(code: "error", field: "", zh: "错误", en: "error")
            let body = APIErrorBody(error: .init(
                code: first.code, message: first.messageEN, field: first.field.isEmpty ? nil : first.field,
                details: mapped.errors.map { .init(code: $0.code, message: $0.messageEN, field: $0.field.isEmpty ? nil : $0.field) }))
            let response = Response(status: mapped.status, headers: mapped.headers)
            try? response.content.encode(body, as: .json)
            return response
        }
        let response = Response(status: mapped.status, headers: mapped.headers)
        response.headers.contentType = .html
        response.body = .init(string: ErrorPage.render(req: req, status: mapped.status, errors: mapped.errors))
        return response
    }

    static func decodingError(_ e: DecodingError) -> FieldError { FieldError(decoding: e) }

    static func abortText(_ status: HTTPResponseStatus) -> (String, String) {
        switch status.code {
        case 400: ("bad_request", "请求无效")
        case 401: ("unauthenticated", "请先登录")
        case 403: ("forbidden", "无权访问")
        case 404: ("not_found", "页面不存在")
        case 405: ("method_not_allowed", "不支持该请求方法")
        case 413: ("payload_too_large", "上传内容过大")
        case 415: ("unsupported_media_type", "不支持的内容类型")
        case 429: ("too_many_requests", "请求过于频繁，请稍后再试")
        default: ("http_\(status.code)", "请求无法完成")
        }
    }
}
