import Fluent
import Foundation
import Prometheus
import SkillCertCore
import SkillCertPersistence
import Vapor

extension CertificationBody: Content {}

/// The composition root: wires configuration, database, middleware and routes into a Vapor application.
public enum SkillCertApp {
    /// Configures `app`: database (without migrating), middleware and every route.
    public static func configure(_ app: Application, config: AppConfig, time: any TimeSource = SystemTimeSource(),
                                 metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                                 sender: (any MessageSender)? = nil) throws {
        if let sender { app.messageSender = sender }
        app.skillcertConfig = config
        app.timeSource = time
        app.appMetrics = AppMetrics(registry: metrics)
        app.addressThrottle = AddressThrottle(limit: config.addressFailureLimit, window: config.addressFailureWindow)
        app.http.server.configuration.hostname = config.hostname
        app.http.server.configuration.port = config.port
        app.passwords.use(.bcrypt(cost: config.bcryptCost))
        app.contentSealer = try loadContentKey(config)
        app.credentialSigner = app.contentSealer.map { CredentialSigner(sealer: $0) }
        let perMinute = Int(ProcessInfo.processInfo.environment["SKILLCERT_VERIFY_PER_MINUTE"] ?? "") ?? 120
        app.verifyThrottle = RateLimiter(perMinute: perMinute)
        app.fileStore = LocalFileStore(root: URL(fileURLWithPath: config.filesDirectory, isDirectory: true))

        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        ContentConfiguration.global.use(encoder: encoder, for: .json)
        ContentConfiguration.global.use(decoder: decoder, for: .json)

        app.databases.use(try config.database.configurationFactory(), as: DatabaseID(string: "main"))
        try PublicReads.configure(app, config: config)
        app.migrations.add(SkillCertMigrations.all)
        app.answerCommitter = AnswerCommitter(db: app.db)
        app.loopDatabases = LoopDatabases(app)
        if config.publicReadDatabase == nil, let direct = SQLiteDirectReads(config.database) {
            app.sqliteDirectReads = direct
            app.lifecycle.use(DirectReadsShutdown(reads: direct))
        }
        app.sqliteDirectWrites = SQLiteDirectWrites(config.database)
        if app.sqliteDirectWrites != nil { app.lifecycle.use(DirectWritesShutdown()) }
        app.groupCommit = GroupCommit(db: app.db)
        app.examTokens = ExamTokenCache()

        // Outermost first: the log line sees the final status, errors become pages or JSON before it.
        app.middleware = Middlewares()
        app.middleware.use(RequestLogMiddleware())
        app.middleware.use(ErrorMapper())
        app.middleware.use(SessionAuthenticator())
        app.middleware.use(CSRFProtection())

        registerRoutes(app)
        if config.examSweepSeconds > 0 { app.lifecycle.use(ExamSweeper(interval: config.examSweepSeconds)) }
    }

    static func registerRoutes(_ app: Application) {
        AuthController.register(app)
        DashboardController.register(app)
        UsersController.register(app)
        SettingsController.register(app)
        CalendarController.register(app)
        AuditController.register(app)
        StandardsController.register(app)
        EligibilityController.register(app)
        ItemsController.register(app)
        PapersController.register(app)
        PlansController.register(app)
        CandidatesController.register(app)
        ApplicationsController.register(app)
        RelationsController.register(app)
        RegistrationsController.register(app)
        RegistryController.register(app)
        SessionsController.register(app)
        ExamController.register(app)
        TheoryScoresController.register(app)
        ScoringController.register(app)
        ResultsController.register(app)
        CertificatesController.register(app)
        ArchiveController.register(app)
        QualityController.register(app)
        ComplaintsController.register(app)
        RegulationsController.register(app)
        SystemController.register(app)
    }

    /// Reads the content key: given directly, or from its file; nil when the file does not exist yet.
    static func loadContentKey(_ config: AppConfig) throws -> ContentSealer? {
        if let inline = config.contentKeyBase64 { return ContentSealer(base64: inline) }
        guard let text = try? String(contentsOfFile: config.contentKeyFile, encoding: .utf8) else { return nil }
        guard let sealer = ContentSealer(base64: text) else {
            throw WebError(.internalServerError, code: "bad_content_key", zh: "试题加密密钥文件无效：\(config.contentKeyFile)",
                           en: "the content key file \(config.contentKeyFile) does not hold a base64 32-byte key")
        }
        return sealer
    }

    /// Prepares the engine and runs pending migrations.
    public static func migrate(_ app: Application) async throws {
        try await DatabasePreparation.prepare(app.db)
        try await app.autoMigrate()
    }
}

/// Submits computer-based attempts whose time is up, every few seconds, whether or not their clients are connected.
final class ExamSweeper: LifecycleHandler, @unchecked Sendable {
    let interval: Int
    private var task: Task<Void, Never>?

    init(interval: Int) { self.interval = interval }

    func didBootAsync(_ app: Application) async throws {
        let interval = interval
        task = Task { [weak app] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                // Stopped while asleep: the databases may already be gone.
                guard !Task.isCancelled, let app, let sealer = app.contentSealer else { continue }
                do {
                    let n = try await AttemptStore.submitExpired(sealer: sealer, on: app.db, time: app.timeSource)
                    if n > 0 { app.logger.notice("exam attempts submitted at time up", metadata: ["count": .stringConvertible(n)]) }
                } catch {
                    app.logger.error("exam sweep failed", metadata: ["error": .string(String(describing: error))])
                }
            }
        }
    }

    // Vapor calls one or the other depending on how it is stopped; both stop the loop before the databases close.
    func shutdown(_ app: Application) {
        task?.cancel()
    }

    func shutdownAsync(_ app: Application) async {
        task?.cancel()
        _ = await task?.value
    }
}
