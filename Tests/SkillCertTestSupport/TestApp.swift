import FluentKit
import Foundation
import NIOCore
import SkillCertCore
import SkillCertPersistence
import SkillCertWeb
import SQLKit
import Vapor
import VaporTesting

/// The engine the persistence and HTTP suites run on: SQLite in memory by default, or the PostgreSQL server named
/// by `SKILLCERT_TEST_DATABASE_URL` (which `make test` starts for the second run). On PostgreSQL every test gets
/// its own freshly created database, so tests stay isolated and can run in parallel.
public enum TestEngine {
    public static var postgresBaseURL: String? {
        let url = ProcessInfo.processInfo.environment["SKILLCERT_TEST_DATABASE_URL"] ?? ""
        return url.hasPrefix("postgres") ? url : nil
    }

    public static var name: String { postgresBaseURL == nil ? "sqlite" : "postgresql" }

    /// A new, empty database for one test; `drop` removes it afterwards.
    public static func makeDatabase() async throws -> (target: DatabaseTarget, drop: @Sendable () async -> Void) {
        guard let base = postgresBaseURL else {
            return (.sqliteMemory(identifier: UUID().uuidString), {})
        }
        let name = "sc_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await admin(base) { sql in try await sql.raw("CREATE DATABASE \(ident: String(name))").run() }
        var components = URLComponents(string: base)!
        components.path = "/" + name
        return (.postgres(url: components.string!), {
            try? await admin(base) { sql in
                try await sql.raw("DROP DATABASE IF EXISTS \(ident: String(name)) WITH (FORCE)").run()
            }
        })
    }

    /// Runs statements on the server's maintenance database.
    static func admin(_ base: String, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        do {
            app.databases.use(try DatabaseTarget.postgres(url: base).configurationFactory(maxConnectionsPerEventLoop: 1),
                              as: DatabaseID(string: "admin"))
            guard let sql = app.db as? any SQLDatabase else { throw Abort(.internalServerError) }
            try await body(sql)
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

/// A fully configured and migrated application on the test engine, with a fixed clock and cheap bcrypt.
public final class TestApp: Sendable {
    public let app: Application
    public let time: ManualTimeSource
    public let target: DatabaseTarget
    private let drop: @Sendable () async -> Void

    /// 2026-11-27 10:00 China time, a Friday.
    public static let defaultStart = Date(timeIntervalSince1970: 1_795_744_800)

    init(app: Application, time: ManualTimeSource, target: DatabaseTarget, drop: @escaping @Sendable () async -> Void,
         outbox: CapturedMessages) {
        self.app = app
        self.time = time
        self.target = target
        self.drop = drop
        self.outbox = outbox
    }

    public var db: any Database { app.db }

    /// The `DATABASE_URL` that points a `skillcert` process at this test's database (nil for in-memory SQLite).
    public var databaseURL: String? {
        switch target {
        case .sqliteFile(let path): path
        case .postgres(let url): url
        case .sqliteMemory: nil
        }
    }

    /// Builds, configures and migrates an application; `configure` may adjust the configuration first.
    public static func make(start: Date = defaultStart, configure: (inout AppConfig) -> Void = { _ in }) async throws -> TestApp {
        try await make(start: start, sender: nil, configure: configure)
    }

    /// Messages the application sent (verification codes), captured instead of delivered.
    public let outbox: CapturedMessages

    static func make(start: Date, sender: CapturedMessages?, configure: (inout AppConfig) -> Void) async throws -> TestApp {
        let (target, drop) = try await TestEngine.makeDatabase()
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let time = ManualTimeSource(start)
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-files-\(UUID().uuidString)")
        var config = AppConfig(database: target, bcryptCost: 4, contentKeyBase64: TestApp.contentKey, filesDirectory: files.path,
                               examSweepSeconds: 0)
        configure(&config)
        let captured = sender ?? CapturedMessages()
        do {
            try SkillCertApp.configure(app, config: config, time: time, sender: captured)
            try await SkillCertApp.migrate(app)
        } catch {
            try? await app.asyncShutdown()
            await drop()
            throw error
        }
        return TestApp(app: app, time: time, target: config.database, drop: drop, outbox: captured)
    }

    /// Shuts the application down and removes its database.
    public func shutdown() async {
        try? await app.asyncShutdown()
        await drop()
    }

    /// Runs `body` with a new, empty temporary folder (for SQLite files and their WAL, keys, exports), removed whole
    /// afterwards.
    public static func withTemporaryFolder<T>(_ name: String, _ body: (URL) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-\(name)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    /// Runs `body` with a fresh application and always cleans up.
    public static func with<T>(start: Date = defaultStart, configure: (inout AppConfig) -> Void = { _ in },
                               _ body: (TestApp) async throws -> T) async throws -> T {
        let t = try await make(start: start, configure: configure)
        do {
            let result = try await body(t)
            await t.shutdown()
            return result
        } catch {
            await t.shutdown()
            throw error
        }
    }

    /// Creates an account directly.
    @discardableResult
    public func createUser(_ username: String, roles: Set<Role>, password: String = TestApp.password,
                           displayName: String? = nil) async throws -> SignedInUser {
        try await Accounts.create(.init(username: username, displayName: displayName ?? username, password: password,
                                        roles: roles),
                                  hasher: app.skillcertPasswordHasher, on: db, actor: .system("test"), time: time)
    }

    public static let password = "Test-Password-42"

    /// The content key of every test application.
    public static let contentKey = ContentSealer.newKeyBase64()

    /// A client for this application.
    public func client() throws -> TestClient { TestClient(tester: try app.testing()) }
}

/// A message sender that keeps what it is given, for tests to read.
public actor CapturedMessages: MessageSender {
    public private(set) var messages: [(channel: String, recipient: String, body: String)] = []

    public init() {}

    public func send(channel: String, recipient: String, body: String) async throws {
        messages.append((channel, recipient, body))
    }

    /// The six-digit code in the last message to `recipient`.
    public func lastCode(to recipient: String) -> String? {
        guard let body = messages.last(where: { $0.recipient == recipient })?.body else { return nil }
        return body.firstMatch(of: /\d{6}/).map { String($0.output) }
    }
}

/// A response, with its body as text.
public struct TestResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public var text: String { String(buffer: body) }

    public func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(buffer: body))
    }

    /// The parsed JSON object.
    public var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    /// The API error's code and field.
    public var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    public var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }

    public var location: String? { headers.first(name: .location) }
}

/// A browser-like client: keeps cookies, fills in the CSRF token, or sends bearer tokens to the API.
public final class TestClient: @unchecked Sendable {
    let tester: any TestingApplicationTester
    private let lock = NSLock()
    private var cookies: [String: String] = [:]
    public var bearer: String?

    init(tester: any TestingApplicationTester) {
        self.tester = tester
    }

    public func cookie(_ name: String) -> String? { lock.withLock { cookies[name] } }

    public func setCookie(_ name: String, _ value: String) { lock.withLock { cookies[name] = value } }

    /// Sends a request; `body` with its content type.
    public func send(_ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String? = nil,
                     headers extra: HTTPHeaders = [:], rawBody: Data? = nil) async throws -> TestResponse {
        var headers = extra
        let jar = lock.withLock { cookies }
        if !jar.isEmpty {
            headers.replaceOrAdd(name: .cookie, value: jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let bearer { headers.replaceOrAdd(name: .authorization, value: "Bearer \(bearer)") }
        if let contentType { headers.replaceOrAdd(name: .contentType, value: contentType) }
        let request = TestingHTTPRequest(method: method, url: URI(string: path), headers: headers,
                                         body: rawBody.map { ByteBuffer(data: $0) } ?? ByteBuffer(string: body ?? ""))
        let response = try await tester.performTest(request: request)
        for header in response.headers[.setCookie] {
            let pair = header.split(separator: ";").first ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
            let value = String(parts[1])
            let expired = header.lowercased().contains("max-age=0") || value.isEmpty
            lock.withLock { if expired { cookies[name] = nil } else { cookies[name] = value } }
        }
        return TestResponse(status: response.status, headers: response.headers, body: response.body)
    }

    public func get(_ path: String) async throws -> TestResponse { try await send(.GET, path) }

    /// Posts a form with the CSRF token, first visiting `/login` for the cookie when there is none yet.
    public func postForm(_ path: String, _ fields: [(String, String)], csrf: Bool = true) async throws -> TestResponse {
        if csrf, cookie("sc_csrf") == nil { _ = try await get("/login") }
        var all = fields
        if csrf, let token = cookie("sc_csrf") { all.append(("_csrf", token)) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = all.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return try await send(.POST, path, body: body, contentType: "application/x-www-form-urlencoded")
    }

    /// Posts a multipart form (with the CSRF token) holding fields and files.
    public func postMultipart(_ path: String, fields: [(String, String)] = [],
                              files: [(name: String, filename: String, contentType: String, data: Data)]) async throws -> TestResponse {
        if cookie("sc_csrf") == nil { _ = try await get("/login") }
        let boundary = "----skillcert\(UUID().uuidString)"
        var body = Data()
        func add(_ s: String) { body.append(Data(s.utf8)) }
        var all = fields
        if let token = cookie("sc_csrf") { all.append(("_csrf", token)) }
        for (name, value) in all {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for f in files {
            add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.name)\"; filename=\"\(f.filename)\"\r\nContent-Type: \(f.contentType)\r\n\r\n")
            body.append(f.data)
            add("\r\n")
        }
        add("--\(boundary)--\r\n")
        return try await send(.POST, path, body: nil, contentType: "multipart/form-data; boundary=\(boundary)", rawBody: body)
    }

    /// Sends JSON.
    public func json(_ method: HTTPMethod, _ path: String, _ object: Any) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await send(method, path, body: String(decoding: data, as: UTF8.self), contentType: "application/json")
    }

    /// Signs in through the sign-in page.
    @discardableResult
    public func signIn(_ username: String, password: String = TestApp.password) async throws -> TestResponse {
        try await postForm("/login", [("username", username), ("password", password)])
    }

    /// Signs in through the API and keeps the bearer token.
    public func apiSignIn(_ username: String, password: String = TestApp.password) async throws {
        let r = try await json(.POST, "/api/v1/auth/login", ["username": username, "password": password])
        bearer = r.object["token"] as? String
    }
}

/// Paths of the repository and the built `skillcert` binary, for tests that run the command line.
public enum Repository {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["SKILLCERT_BIN"] { return URL(fileURLWithPath: path) }
        return root.appendingPathComponent(".build/debug/skillcert")
    }

    /// Runs a program and returns its exit status and output (stdout and stderr together).
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        environment.forEach { env[$0.key] = $0.value }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let inPipe = Pipe()
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Finds a program on PATH.
    public static func tool(_ name: String) -> URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
