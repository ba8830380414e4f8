import Foundation
import SkillCertPersistence

/// The configuration, read once at start (command line > environment > defaults) and validated there.
public struct AppConfig: Sendable {
    public var hostname: String
    public var port: Int
    public var database: DatabaseTarget
    /// bcrypt cost; lower only in tests.
    public var bcryptCost: Int
    /// Marks cookies `Secure`. Also set per request when a proxy says the client used HTTPS.
    public var secureCookies: Bool
    /// Address-level sign-in throttle: failures allowed per address per window.
    public var addressFailureLimit: Int
    public var addressFailureWindow: TimeInterval
    /// The base URL people reach the service at (for links in documents).
    public var publicBaseURL: String
    /// The key that encrypts item content and paper keys: a file holding 32 random bytes in base64, kept outside the
    /// database (`SKILLCERT_CONTENT_KEY_FILE`, default `data/content.key`; `skillcert keys generate` creates it).
    public var contentKeyFile: String
    /// A key given directly (tests); wins over the file.
    public var contentKeyBase64: String?
    /// Where uploaded files are kept, content-addressed (`SKILLCERT_FILES_DIR`, default `data/files`).
    public var filesDirectory: String
    /// How often the server submits computer-based attempts whose time is up (seconds; 0: never, for tests that
    /// move the clock by hand).
    public var examSweepSeconds: Int
    /// Where public certificate lookups read (`DATABASE_READ_URL`, a PostgreSQL streaming replica); nil: the primary.
    public var publicReadDatabase: DatabaseTarget? = nil

    public init(hostname: String = "127.0.0.1", port: Int = 8080, database: DatabaseTarget,
                bcryptCost: Int = 12, secureCookies: Bool = false, addressFailureLimit: Int = 30,
                addressFailureWindow: TimeInterval = 600, publicBaseURL: String? = nil,
                contentKeyFile: String = AppConfig.defaultContentKeyFile, contentKeyBase64: String? = nil,
                filesDirectory: String = "data/files", examSweepSeconds: Int = 10) {
        self.hostname = hostname
        self.port = port
        self.database = database
        self.bcryptCost = bcryptCost
        self.secureCookies = secureCookies
        self.addressFailureLimit = addressFailureLimit
        self.addressFailureWindow = addressFailureWindow
        self.publicBaseURL = publicBaseURL ?? "http://\(hostname):\(port)"
        self.contentKeyFile = contentKeyFile
        self.contentKeyBase64 = contentKeyBase64
        self.filesDirectory = filesDirectory
        self.examSweepSeconds = examSweepSeconds
    }

    public static let defaultContentKeyFile = "data/content.key"

    /// Reads `DATABASE_URL`, `DATABASE_READ_URL`, `SKILLCERT_SECURE_COOKIES`, `SKILLCERT_BCRYPT_COST` and `SKILLCERT_PUBLIC_URL`, `SKILLCERT_FILES_DIR`.
    public static func fromEnvironment(hostname: String = "127.0.0.1", port: Int = 8080,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) -> AppConfig {
        let cost = Int(environment["SKILLCERT_BCRYPT_COST"] ?? "").flatMap { (4...31).contains($0) ? $0 : nil } ?? 12
        var config = AppConfig(hostname: hostname, port: port, database: DatabaseTarget(url: environment["DATABASE_URL"]),
                               bcryptCost: cost,
                               secureCookies: ["1", "true", "yes"].contains(environment["SKILLCERT_SECURE_COOKIES"]?.lowercased() ?? ""),
                               publicBaseURL: environment["SKILLCERT_PUBLIC_URL"],
                               contentKeyFile: environment["SKILLCERT_CONTENT_KEY_FILE"] ?? defaultContentKeyFile,
                               filesDirectory: environment["SKILLCERT_FILES_DIR"] ?? "data/files")
        // Only a PostgreSQL replica makes sense (a SQLite file is not replicated): anything else reads the primary.
        config.publicReadDatabase = environment["DATABASE_READ_URL"].map(DatabaseTarget.init(url:)).flatMap { $0.isPostgres ? $0 : nil }
        return config
    }
}
