import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation

/// Which engine and where, chosen by `DATABASE_URL`: `postgres://…` is PostgreSQL, anything else a SQLite file.
public enum DatabaseTarget: Sendable, Equatable {
    /// A SQLite file (WAL mode, durable commits).
    case sqliteFile(path: String)
    /// An in-memory SQLite database shared by every connection that names the same identifier (tests).
    case sqliteMemory(identifier: String)
    /// A PostgreSQL server.
    case postgres(url: String)

    /// The default file when `DATABASE_URL` is unset.
    public static let defaultSQLitePath = "data/skillcert.sqlite"

    /// Reads a `DATABASE_URL` value.
    public init(url: String?) {
        let value = (url ?? "").trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            self = .postgres(url: value)
        } else if value == ":memory:" || value == "sqlite::memory:" {
            self = .sqliteMemory(identifier: UUID().uuidString)
        } else if value.hasPrefix("sqlite://") {
            self = .sqliteFile(path: String(value.dropFirst("sqlite://".count)))
        } else if value.hasPrefix("sqlite:") {
            self = .sqliteFile(path: String(value.dropFirst("sqlite:".count)))
        } else {
            self = .sqliteFile(path: value.isEmpty ? DatabaseTarget.defaultSQLitePath : value)
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// A description that never shows a password.
    public var redacted: String {
        switch self {
        case .sqliteFile(let path): return "SQLite \(path)"
        case .sqliteMemory: return "SQLite (in memory)"
        case .postgres(let url):
            if var c = URLComponents(string: url) {
                if c.password != nil { c.password = "***" }
                return "PostgreSQL \(c.string ?? "")"
            }
            return "PostgreSQL"
        }
    }

    /// The Fluent configuration for this target. Creates the SQLite file's folder when needed.
    public func configurationFactory(maxConnectionsPerEventLoop: Int = 4) throws -> DatabaseConfigurationFactory {
        switch self {
        case .sqliteFile(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return .sqlite(.file(path), sqlLogLevel: .debug)
        case .sqliteMemory(let identifier):
            return .sqlite(.init(storage: .memory(identifier: identifier)), sqlLogLevel: .debug)
        case .postgres(let url):
            var config = try SQLPostgresConfiguration(url: url)
            config.searchPath = ["public"]
            return .postgres(configuration: config, maxConnectionsPerEventLoop: maxConnectionsPerEventLoop,
                             sqlLogLevel: .debug)
        }
    }
}
