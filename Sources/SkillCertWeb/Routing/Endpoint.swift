import SkillCertCore
import Vapor

/// How an API route is described in the OpenAPI document.
public struct APIDoc: Sendable {
    public var summary: String
    public var tag: String
    /// Component schema name of the JSON request body, if any.
    public var requestSchema: String?
    /// Status and component schema name of the success response (nil schema: no body).
    public var successStatus: Int
    public var responseSchema: String?
    /// Query parameters: name, JSON-schema type, required, description.
    public var query: [QueryParameter]
    /// Error statuses the route can answer with besides 401/403.
    public var errors: [Int]
    /// The response media type, when not JSON.
    public var responseMediaType: String
    /// Media types of a binary request body (a file upload), instead of a JSON schema.
    public var requestMediaTypes: [String]

    public struct QueryParameter: Sendable {
        public var name: String
        public var type: String
        public var format: String?
        public var required: Bool
        public var description: String
        public var minimum: Int?
        public var maximum: Int?

        public init(_ name: String, _ type: String, format: String? = nil, required: Bool = false,
                    _ description: String, minimum: Int? = nil, maximum: Int? = nil) {
            self.name = name
            self.type = type
            self.format = format
            self.required = required
            self.description = description
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public init(_ summary: String, tag: String, request: String? = nil, status: Int = 200, response: String?,
                query: [QueryParameter] = [], errors: [Int] = [], mediaType: String = "application/json",
                requestMediaTypes: [String] = []) {
        self.summary = summary
        self.tag = tag
        self.requestSchema = request
        self.successStatus = status
        self.responseSchema = response
        self.query = query
        self.errors = errors
        self.responseMediaType = mediaType
        self.requestMediaTypes = requestMediaTypes
    }
}

enum RouteInfoKey {
    static let access = "skillcert.access"
    static let api = "skillcert.api"
    static let bodyLimit = "skillcert.body-limit"
}

extension Route {
    /// The access declared for this route, or nil when it was registered without a declaration.
    public var declaredAccess: Access? { userInfo[RouteInfoKey.access] as? Access }
    /// The OpenAPI description of this route, if any.
    public var apiDoc: APIDoc? { userInfo[RouteInfoKey.api] as? APIDoc }
    /// The most a route collects of a request body; nil for a route that streams its body.
    var collectLimit: Int? { userInfo[RouteInfoKey.bodyLimit] as? Int }
}

extension RoutesBuilder {
    /// Registers a route together with who may use it (enforced here) and, for API routes, its OpenAPI description.
    /// The one way routes are added: the authorisation test reads these declarations back from every route.
    @discardableResult
    func endpoint<R: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ path: String, access: Access, api: APIDoc? = nil,
        body: HTTPBodyStreamStrategy = .collect(maxSize: "1mb"),
        use handler: @escaping @Sendable (Request) async throws -> R
    ) -> Route {
        let route = grouped(AccessMiddleware(access: access)).on(method, path.pathComponents, body: body, use: handler)
        route.userInfo[RouteInfoKey.access] = access
        if case .collect(let max) = body { route.userInfo[RouteInfoKey.bodyLimit] = max?.value ?? 16_384 }
        if let api { route.userInfo[RouteInfoKey.api] = api }
        return route
    }
}

/// Role sets that several routes share.
enum Roles {
    static let staff = Role.staff
    static let admin: Set<Role> = [.administrator]
    static let auditReaders: Set<Role> = [.administrator, .leadership, .supervision]
    static let calendarEditors: Set<Role> = [.administrator, .coordination]
}
