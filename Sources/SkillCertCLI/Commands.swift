import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SkillCertCore
import SkillCertPersistence
import SkillCertWeb
import Vapor

/// Builds the application for a command, runs `body`, and always shuts it down.
func withApplication<T: Sendable>(hostname: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .warning,
                                  metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                                  _ body: (Application) async throws -> T) async throws -> T {
    var env = Environment(name: "production", arguments: ["skillcert"])
    env.arguments = ["skillcert"]
    let app = try await Application.make(env)
    app.logger.logLevel = logLevel
    do {
        try SkillCertApp.configure(app, config: .fromEnvironment(hostname: hostname, port: port), metrics: metrics)
        let result = try await body(app)
        try await app.asyncShutdown()
        return result
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}

/// Prints to standard error.
func eprint(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

enum LoggingSetup {
    /// Structured logs to standard output; bootstrapped once per process.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate, then serve HTTP.")

    @ArgumentParser.Option(help: "Address to listen on.") var hostname = "127.0.0.1"
    @ArgumentParser.Option(help: "Port to listen on.") var port = 8080
    @ArgumentParser.Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSetup.bootstrap(level: level)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        try await withApplication(hostname: hostname, port: port, logLevel: level, metrics: registry) { app in
            try await SkillCertApp.migrate(app)
            app.logger.notice("SkillCert serving on http://\(hostname):\(port) with \(app.skillcertConfig.database.redacted)")
            try await app.execute()
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the database schema up to date.")

    func run() async throws {
        try await withApplication { app in
            try await SkillCertApp.migrate(app)
            print("migrated: \(app.skillcertConfig.database.redacted)")
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load sample data (a fictional body, one account per department). Idempotent.")

    @ArgumentParser.Option(help: "Password for the demo administrator 'admin'.") var adminPassword = "SkillCert-2026!"
    @ArgumentParser.Flag(help: "Also create a computer-based theory session that is open now, with sample candidates and a paper.")
    var openSession = false
    @ArgumentParser.Option(help: "Sample candidates in the open session.") var candidates = 20
    @ArgumentParser.Flag(help: "Also create a skills session that started a minute ago, with three sample candidates (skills1–skills3) whose theory scores are in, two task cards and a panel of sample examiners with a chief.")
    var scoringSession = false
    @ArgumentParser.Flag(help: "Also issue sample certificates: three holders of the demo plan whose results are final.")
    var certificates = false
    @ArgumentParser.Flag(help: "Also a completed earlier round at the Suzhou site (applications, sessions, answers, panel scores, results, a review, publicity, certificates, paper analysis, complaints, batch report) and applications waiting in the open plan's registration queue.")
    var completedRound = false
    @ArgumentParser.Flag(help: "Print the open session as JSON ({\"sessionId\": …, \"logins\": […]}) instead of text.") var json = false

    func run() async throws {
        if openSession && !(1...10_000).contains(candidates) {
            eprint("error: --candidates must be between 1 and 10000")
            throw ExitCode(2)
        }
        let (lines, session) = try await withApplication { app in
            try await SkillCertApp.migrate(app)
            var lines = try await DemoData.load(adminPassword: adminPassword, hasher: app.skillcertPasswordHasher,
                                                sealer: app.contentSealer, on: app.db, time: SystemTimeSource())
            if scoringSession {
                guard let sealer = app.contentSealer else {
                    throw ValidationError("the content key is missing: run `skillcert keys generate` first")
                }
                let s = try await DemoData.scoringSession(hasher: app.skillcertPasswordHasher, sealer: sealer, on: app.db, time: SystemTimeSource())
                lines.append("示例实操场次已开始 (a sample skills session has started): /scoring/sessions/\(s.sessionID.uuidString)")
                lines.append("  panel: \(s.panel.joined(separator: ", ")); chief examiner: \(s.chief)")
                lines.append("  sample candidates (password \(DemoData.staffPassword)): " + s.candidates.map { "\($0.username) (\($0.ticket))" }.joined(separator: ", "))
            }
            if certificates {
                guard let sealer = app.contentSealer, let signer = app.credentialSigner else {
                    throw ValidationError("the content key is missing: run `skillcert keys generate` first")
                }
                let numbers = try await DemoData.issuedCertificates(sealer: sealer, signer: signer, links: .init(base: app.skillcertConfig.publicBaseURL),
                                                                    on: app.db, time: SystemTimeSource())
                lines.append("示例证书 (sample certificates): " + numbers.joined(separator: ", ") + " — public check at /verify")
            }
            if completedRound {
                guard let sealer = app.contentSealer, let signer = app.credentialSigner else {
                    throw ValidationError("the content key is missing: run `skillcert keys generate` first")
                }
                let round = try await DemoData.completedRound(hasher: app.skillcertPasswordHasher, sealer: sealer, signer: signer,
                                                              links: .init(base: app.skillcertConfig.publicBaseURL), on: app.db, time: SystemTimeSource())
                lines.append("示例已完成批次 (a completed sample round): plan \(round.planNumber), \(round.candidates) applicants, \(round.certificates.count) certificates")
                lines.append("  sample candidates with results (password \(DemoData.staffPassword)): " + round.logins.joined(separator: ", "))
                let queued = try await DemoData.registrationQueue(sealer: sealer, on: app.db, time: SystemTimeSource())
                if queued > 0 { lines.append("示例报名待审 (sample applications in the open plan's queue): \(queued)") }
            }
            guard openSession else { return (lines, DemoData.OpenSession?.none) }
            guard let sealer = app.contentSealer else {
                throw ValidationError("the content key is missing: run `skillcert keys generate` first")
            }
            return (lines, try await DemoData.openExamSession(candidates: candidates, sealer: sealer, on: app.db, time: SystemTimeSource()))
        }
        if json, let session {
            let logins = session.logins.map { ["ticketNumber": $0.ticket, "idNumber": $0.idNumber] }
            let object: [String: Any] = ["sessionId": session.sessionID.uuidString, "paperId": session.paperID.uuidString,
                                         "endsAt": ISO8601DateFormatter().string(from: session.endsAt), "logins": logins]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("示例数据已加载 (sample data loaded). Sign in at the address `skillcert serve` prints:")
        lines.forEach { print("  " + $0) }
        if let session {
            print("示例机考场次已开考 (a sample computer-based session is open now): /sessions/\(session.sessionID.uuidString)/console")
            print("  candidates sign in at /exam; for example ticket \(session.logins[0].ticket), ID number \(session.logins[0].idNumber)")
        }
    }
}

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "admin", abstract: "Administrator accounts.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an administrator; the password is read from standard input (first line).")

        @ArgumentParser.Option(help: "The new administrator's username.") var username: String
        @ArgumentParser.Option(help: "Display name.") var name = "系统管理员"

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                eprint("error: no password on standard input (pipe it in: echo 'password' | skillcert admin create --username NAME)")
                throw ExitCode(2)
            }
            do {
                let user = try await withApplication { app in
                    try await SkillCertApp.migrate(app)
                    return try await Accounts.create(.init(username: username, displayName: name, password: password,
                                                           roles: [.administrator]),
                                                     hasher: app.skillcertPasswordHasher, on: app.db,
                                                     actor: .system("cli"), time: SystemTimeSource())
                }
                print("created administrator \(user.username) (\(user.id))")
            } catch let failure as ValidationFailure {
                failure.errors.forEach { eprint("error: \($0.field): \($0.messageEN) / \($0.messageZH)") }
                throw ExitCode(2)
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The audit trail.",
                                                    subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain; exit 1 naming the first entry that does not match.")

        func run() async throws {
            let result = try await withApplication { app in
                try await AuditLog.verify(on: app.db) { n in
                    FileHandle.standardError.write(Data("\rverified \(n) entries…".utf8))
                }
            }
            switch result {
            case .success(let n):
                print("\raudit chain OK: \(n) entries verified")
            case .failure(let broken):
                print("\raudit chain BROKEN at entry #\(broken.sequence): \(broken.explanation)")
                throw ExitCode(1)
            }
        }
    }
}

struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calendar", abstract: "The working-day calendar.",
                                                    subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a State Council arrangement (YAML in the form of holidays-cn.yaml), replacing the years it names.")

        @ArgumentParser.Argument(help: "The YAML file.") var file: String

        func run() async throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                eprint("error: cannot read \(file) as UTF-8 text")
                throw ExitCode(2)
            }
            do {
                let n = try await withApplication { app in
                    try await SkillCertApp.migrate(app)
                    return try await CalendarStore.importYAML(text, on: app.db, actor: .system("cli"), time: SystemTimeSource())
                }
                print("imported \(n) calendar days")
            } catch let failure as ValidationFailure {
                failure.errors.forEach { eprint("error: \($0.field): \($0.messageEN)") }
                throw ExitCode(2)
            }
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "The content-encryption key and the credential-signing keys.",
                                                    subcommands: [Generate.self, RotateSigning.self])

    struct RotateSigning: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing",
            abstract: "Start a new Ed25519 key for signing certificates' credentials; earlier keys stay in /.well-known/jwks.json so their credentials still verify.")

        func run() async throws {
            let kid = try await withApplication { app in
                try await SkillCertApp.migrate(app)
                guard let sealer = app.contentSealer else { throw ValidationError("the content key is missing: run `skillcert keys generate` first") }
                return try await CredentialSigner.rotate(sealer: sealer, actor: .system("cli"), on: app.db, time: SystemTimeSource())
            }
            print("new signing key: \(kid) — running servers sign with it from their next batch")
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the key that encrypts item content (SKILLCERT_CONTENT_KEY_FILE, default data/content.key) if it does not exist.")

        func run() async throws {
            let path = ProcessInfo.processInfo.environment["SKILLCERT_CONTENT_KEY_FILE"] ?? AppConfig.defaultContentKeyFile
            if FileManager.default.fileExists(atPath: path) {
                print("content key exists: \(path) (left unchanged)")
                return
            }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data((ContentSealer.newKeyBase64() + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                eprint("error: cannot write \(path)")
                throw ExitCode(1)
            }
            print("content key created: \(path) — keep it out of the database backups' reach and back it up separately")
        }
    }
}
