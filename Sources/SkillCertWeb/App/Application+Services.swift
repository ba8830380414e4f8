import Foundation
import Fluent
import Prometheus
import SkillCertCore
import SkillCertPersistence
import Vapor

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }
    private struct TimeKey: StorageKey { typealias Value = any TimeSource }
    private struct MetricsKey: StorageKey { typealias Value = AppMetrics }
    private struct ThrottleKey: StorageKey { typealias Value = AddressThrottle }
    private struct SealerKey: StorageKey { typealias Value = ContentSealer }
    private struct SenderKey: StorageKey { typealias Value = any MessageSender }
    private struct FileStoreKey: StorageKey { typealias Value = any FileStore }
    private struct SignerKey: StorageKey { typealias Value = CredentialSigner }
    private struct VerifyThrottleKey: StorageKey { typealias Value = RateLimiter }

    /// Where uploaded files are stored (the filesystem by default).
    public var fileStore: any FileStore {
        get { storage[FileStoreKey.self] ?? LocalFileStore(root: URL(fileURLWithPath: skillcertConfig.filesDirectory, isDirectory: true)) }
        set { storage[FileStoreKey.self] = newValue }
    }

    /// Where outbox messages (verification codes) go: the log in development, a gateway in production.
    public var messageSender: any MessageSender {
        get { storage[SenderKey.self] ?? LogMessageSender(logger: logger) }
        set { storage[SenderKey.self] = newValue }
    }

    /// The installation's content key, or nil when none is configured (item and paper routes then say so).
    public var contentSealer: ContentSealer? {
        get { storage[SealerKey.self] }
        set { storage[SealerKey.self] = newValue }
    }

    /// The configuration this application was built with.
    public var skillcertConfig: AppConfig {
        get { storage[ConfigKey.self] ?? AppConfig(database: .sqliteMemory(identifier: "unset")) }
        set { storage[ConfigKey.self] = newValue }
    }

    /// The clock every handler uses.
    public var timeSource: any TimeSource {
        get { storage[TimeKey.self] ?? SystemTimeSource() }
        set { storage[TimeKey.self] = newValue }
    }

    var appMetrics: AppMetrics {
        get { storage[MetricsKey.self]! }
        set { storage[MetricsKey.self] = newValue }
    }

    var addressThrottle: AddressThrottle {
        get { storage[ThrottleKey.self]! }
        set { storage[ThrottleKey.self] = newValue }
    }

    /// Public certificate lookups per client address (`SKILLCERT_VERIFY_PER_MINUTE`, default 120 a minute).
    var verifyThrottle: RateLimiter {
        get { storage[VerifyThrottleKey.self]! }
        set { storage[VerifyThrottleKey.self] = newValue }
    }

    /// Signs certificates' credentials with the installation's keys (nil without a content key to seal them).
    public var credentialSigner: CredentialSigner? {
        get { storage[SignerKey.self] }
        set { storage[SignerKey.self] = newValue }
    }

    /// bcrypt through Vapor's password hasher, off the event loop.
    var passwordHasher: any PasswordHashing { VaporPasswordHasher(app: self) }
}

extension Request {
    /// The content key, or a 503 that says how to create one.
    func sealer() throws -> ContentSealer {
        guard let sealer = application.contentSealer else {
            throw WebError(.serviceUnavailable, code: "no_content_key",
                           zh: "未配置试题加密密钥：请运行 skillcert keys generate 后重启服务",
                           en: "no content key configured: run `skillcert keys generate` and restart")
        }
        return sealer
    }

    var time: any TimeSource { application.timeSource }
    var config: AppConfig { application.skillcertConfig }
}

/// Hashes with the application's configured bcrypt cost on the thread pool, so sign-ins never block the event loop.
struct VaporPasswordHasher: PasswordHashing {
    let app: Application

    func hash(_ password: String) async throws -> String {
        try await app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next()).hash(password).get()
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next()).verify(password, created: hash).get()
    }
}

/// The development sender: writes each message to the log instead of sending it.
struct LogMessageSender: MessageSender {
    let logger: Logger

    func send(channel: String, recipient: String, body: String) async throws {
        let masked = ContactAddress(recipient)?.masked ?? "***"
        logger.notice("outbox (development sender, not delivered): \(channel) to \(masked): \(body)")
    }
}

/// The application's own Prometheus metrics, served at `/metrics`.
final class AppMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func request(method: String, route: String, status: UInt, seconds: Double) {
        registry.makeCounter(descriptor: Self.requests, labels: [("method", method), ("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.duration, labels: [("method", method), ("route", route)],
                                       buckets: AppMetrics.buckets).recordNanoseconds(Int64(seconds * 1e9))
    }

    func signIn(result: String) {
        registry.makeCounter(descriptor: Self.signIns, labels: [("result", result)]).increment()
    }

    static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "skillcert", metricName: "http_requests", unitName: "total",
                                               helpText: "HTTP requests by method, route pattern and status") }
    static var duration: MetricNameDescriptor { MetricNameDescriptor(namespace: "skillcert", metricName: "http_request_duration",
                                               unitName: "seconds", helpText: "HTTP request duration by route pattern") }
    static var signIns: MetricNameDescriptor { MetricNameDescriptor(namespace: "skillcert", metricName: "sign_ins", unitName: "total",
                                              helpText: "Sign-in attempts by result") }

    static let buckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                      .seconds(2.5), .seconds(5)]

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Counts failed sign-ins per client address in a sliding window; past the limit the address must wait.
actor AddressThrottle {
    private var failures: [String: [Date]] = [:]
    private let limit: Int
    private let window: TimeInterval

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until the address may try again, or nil when it may try now.
    func retryAfter(_ address: String, now: Date) -> Int? {
        let recent = (failures[address] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[address] = recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
    }

    func recordFailure(_ address: String, now: Date) {
        failures[address, default: []].append(now)
        if failures.count > 100_000 {
            // Bound memory under an address-spraying attack by forgetting what has left the window, not everyone.
            failures = failures.compactMapValues { times in
                let recent = times.filter { now.timeIntervalSince($0) < window }
                return recent.isEmpty ? nil : recent
            }
        }
    }

    func reset(_ address: String) { failures[address] = nil }
}

/// A token bucket per client address: `perMinute` requests a minute, refilled continuously, with bursts up to the
/// same number. O(1) per request under a lock (no actor hop on the lookup path), for routes anyone may call
/// (certificate lookups).
final class RateLimiter: @unchecked Sendable {  // `buckets` only under `lock`
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Date)] = [:]
    private let perMinute: Double

    init(perMinute: Int) { self.perMinute = Double(max(perMinute, 1)) }

    /// Takes one request's token; returns the seconds to wait when there is none.
    func take(_ address: String, now: Date) -> Int? {
        lock.withLock {
            var bucket = buckets[address] ?? (perMinute, now)
            bucket.tokens = min(perMinute, bucket.tokens + now.timeIntervalSince(bucket.at) * perMinute / 60)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[address] = bucket
                return max(1, Int(((1 - bucket.tokens) * 60 / perMinute).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[address] = bucket
            if buckets.count > 100_000 {
                // Bound memory: forget addresses whose buckets have refilled.
                buckets = buckets.filter { now.timeIntervalSince($0.value.at) < 60 }
            }
            return nil
        }
    }

    /// Counts `req` against its address's allowance; past it, a 429 with Retry-After and a message saying how long.
    func charge(_ req: Request, code: String, zh: (Int) -> String, en: (Int) -> String) throws {
        guard let wait = take(req.clientAddress, now: req.time.now()) else { return }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .retryAfter, value: String(wait))
        throw WebError(.tooManyRequests, code: code, zh: zh(wait), en: en(wait), headers: headers)
    }
}

extension Application {
    /// The password hasher, for commands that create accounts outside a request.
    public var skillcertPasswordHasher: any PasswordHashing { passwordHasher }
}

/// What each exam token stands for (attempt and paper), learnt on its first autosave. Entries never go stale: a
/// token's attempt and paper do not change, and whether the token is still valid is checked in each save's
/// transaction (a replaced token is forgotten then).
final class ExamTokenCache: @unchecked Sendable {  // `keys` only under `lock`
    private let lock = NSLock()
    private var keys: [String: AttemptStore.TokenKey] = [:]

    func key(_ hash: String) -> AttemptStore.TokenKey? { lock.withLock { keys[hash] } }

    func remember(_ hash: String, _ key: AttemptStore.TokenKey) {
        lock.withLock {
            if keys.count >= 200_000 { keys.removeAll(keepingCapacity: true) }
            keys[hash] = key
        }
    }

    func forget(_ hash: String) { _ = lock.withLock { keys.removeValue(forKey: hash) } }
}

extension Application {
    private struct ExamTokensKey: StorageKey { typealias Value = ExamTokenCache }
    private struct CommitterKey: StorageKey { typealias Value = AnswerCommitter }
    private struct GroupCommitKey: StorageKey { typealias Value = GroupCommit }
    private struct LoopDatabasesKey: StorageKey { typealias Value = LoopDatabases }
    private struct DirectReadsKey: StorageKey { typealias Value = SQLiteDirectReads }
    private struct DirectWritesKey: StorageKey { typealias Value = SQLiteDirectWrites }

    /// Bulk writes (a registration import) on a connection of their own to the SQLite file, with prepared statements
    /// (nil for PostgreSQL and in-memory SQLite, which write through Fluent).
    public var sqliteDirectWrites: SQLiteDirectWrites? {
        get { storage[DirectWritesKey.self] }
        set { storage[DirectWritesKey.self] = newValue }
    }

    /// Public certificate lookups on a SQLite file, read on the handler's thread (nil for PostgreSQL and in-memory).
    var sqliteDirectReads: SQLiteDirectReads? {
        get { storage[DirectReadsKey.self] }
        set { storage[DirectReadsKey.self] = newValue }
    }

    /// The default database once for each event loop, made when the application is configured (see `Request.loopDB`).
    var loopDatabases: LoopDatabases {
        get { storage[LoopDatabasesKey.self]! }
        set { storage[LoopDatabasesKey.self] = newValue }
    }

    /// Group commit for the exam's audited writes (sign-ins, attempts starting), on this application's database.
    var groupCommit: GroupCommit {
        get { storage[GroupCommitKey.self]! }
        set { storage[GroupCommitKey.self] = newValue }
    }

    /// Set up once when the application is configured (handlers only read it).
    var examTokens: ExamTokenCache {
        get { storage[ExamTokensKey.self]! }
        set { storage[ExamTokensKey.self] = newValue }
    }

    /// Group commit for autosaves, on this application's database.
    var answerCommitter: AnswerCommitter {
        get { storage[CommitterKey.self]! }
        set { storage[CommitterKey.self] = newValue }
    }
}

/// The default database, made once for each of the application's event loops. Fluent's `req.db` makes a new handle
/// on every access (a lock, the configuration, the driver's pool for the loop): a sixth of the autosave handler's
/// samples. The hot paths — autosaves and public certificate lookups — take the loop's handle from here instead; it
/// logs with the application's logger rather than the request's.
struct LoopDatabases: Sendable {
    private let handles: [ObjectIdentifier: any Database]

    init(_ app: Application) {
        var handles: [ObjectIdentifier: any Database] = [:]
        for loop in app.eventLoopGroup.makeIterator() {
            handles[ObjectIdentifier(loop)] = app.databases.database(logger: app.logger, on: loop)
        }
        self.handles = handles
    }

    func database(for loop: any EventLoop) -> (any Database)? { handles[ObjectIdentifier(loop)] }

    /// A handle on another event loop than `loop` (nil with a single loop). On SQLite its statements run on another
    /// connection, since Fluent's SQLite driver keeps one per loop, so they do not queue behind that loop's
    /// transaction.
    func database(besides loop: any EventLoop) -> (any Database)? {
        handles.first { $0.key != ObjectIdentifier(loop) }?.value
    }
}

extension Application {
    /// A database handle whose statements do not queue behind a transaction running on `db` (see
    /// `LoopDatabases.database(besides:)`); nil when there is no other loop.
    public func database(besides db: any Database) -> (any Database)? {
        loopDatabases.database(besides: db.eventLoop)
    }
}

extension Request {
    /// The default database on this request's event loop, without making a new handle (see `LoopDatabases`).
    var loopDB: any Database { application.loopDatabases.database(for: eventLoop) ?? db }
}
