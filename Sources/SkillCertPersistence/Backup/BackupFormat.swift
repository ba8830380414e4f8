import Crypto
import Foundation

/// One value of a backed-up row. Values are typed as Fluent's SQLite driver stores them (UUIDs as upper-case text,
/// dates as seconds since 1970, booleans as 0/1), and PostgreSQL values are read into the same shapes, so a backup
/// of one engine can be restored into the other. In the files: `null`, `{"int": 1}`, `{"real": 1.5}`,
/// `{"text": "…"}`, `{"blob": "<base64>"}`.
public enum BackupValue: Sendable, Equatable, Codable {
    case null
    case int(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    private enum Key: String, CodingKey { case int, real, text, blob }

    public init(from decoder: any Decoder) throws {
        if try decoder.singleValueContainer().decodeNil() {
            self = .null
            return
        }
        let c = try decoder.container(keyedBy: Key.self)
        if let v = try c.decodeIfPresent(Int64.self, forKey: .int) {
            self = .int(v)
        } else if let v = try c.decodeIfPresent(Double.self, forKey: .real) {
            self = .real(v)
        } else if let v = try c.decodeIfPresent(String.self, forKey: .text) {
            self = .text(v)
        } else if let v = try c.decodeIfPresent(String.self, forKey: .blob), let data = Data(base64Encoded: v) {
            self = .blob(data)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a backup value"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .null = self {
            var c = encoder.singleValueContainer()
            try c.encodeNil()
            return
        }
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .null: break
        case .int(let v): try c.encode(v, forKey: .int)
        case .real(let v): try c.encode(v, forKey: .real)
        case .text(let v): try c.encode(v, forKey: .text)
        case .blob(let v): try c.encode(v.base64EncodedString(), forKey: .blob)
        }
    }
}

/// `manifest.json`: what a backup holds and the SHA-256 of every file in it. Written last, so a directory without
/// one is an unfinished backup.
public struct BackupManifest: Codable, Sendable, Equatable {
    public static let currentFormat = 1
    public static let fileName = "manifest.json"

    /// One table: its columns in file order, its rows and the SHA-256 of `tables/<name>.jsonl`.
    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var columns: [String]
        public var rows: Int
        public var sha256: String

        /// Relative to the backup directory; derived from the name, never read from the manifest.
        public var file: String { "tables/\(name).jsonl" }
    }

    /// One file of the file store; its key is the SHA-256 of its content.
    public struct StoredFile: Codable, Sendable, Equatable {
        public var key: String
        public var bytes: Int

        public var file: String { "files/\(key.prefix(2))/\(key.dropFirst(2).prefix(2))/\(key)" }
    }

    /// The audit chain's tail at the moment of the snapshot (sequence 0 and the genesis hash when empty).
    public struct AuditHead: Codable, Sendable, Equatable {
        public var lastSequence: Int
        public var headHash: String
    }

    public var formatVersion: Int
    public var engine: String
    public var createdAt: String
    public var migrations: [String]
    public var tables: [Table]
    public var files: [StoredFile]
    public var audit: AuditHead

    public var totalRows: Int { tables.reduce(0) { $0 + $1.rows } }
}

/// Why a backup or a restore stopped. Nothing has been written to the target when a restore throws one.
public enum BackupError: Error, Sendable, Equatable {
    case directoryNotEmpty(String)
    case notABackup(String)
    case unsupportedFormat(Int)
    /// A file of the backup is missing or its SHA-256 is not the manifest's.
    case tampered(file: String)
    case targetNotEmpty(String)
    case targetNotMigrated
    case schemaMismatch(String)
    case badValue(table: String, column: String, row: Int)
    case auditChainBroken(String)

    /// One line for the operator.
    public var message: String {
        switch self {
        case .directoryNotEmpty(let d): "the backup directory \(d) is not empty; give a new or empty directory"
        case .notABackup(let d): "\(d) is not a complete backup (no readable manifest.json)"
        case .unsupportedFormat(let v): "backup format \(v) is not supported by this version (expects \(BackupManifest.currentFormat))"
        case .tampered(let f): "\(f) does not match the manifest (changed, missing or damaged); nothing was restored"
        case .targetNotEmpty(let why): "the target database is not empty (\(why)); restore only into a new installation"
        case .targetNotMigrated: "the target database has no schema; run `skillcert migrate` first"
        case .schemaMismatch(let why): "the backup does not fit this installation's schema: \(why)"
        case .badValue(let t, let c, let r): "\(t).\(c) in row \(r) cannot be stored in this database"
        case .auditChainBroken(let why): "the restored audit chain does not verify: \(why); nothing was restored"
        }
    }
}

/// Writes one file durably and hashes what it writes.
final class DurableFile: @unchecked Sendable {
    private let handle: FileHandle
    private var hasher = SHA256()
    private var buffer = Data()
    private let lock = NSLock()
    private(set) var bytes = 0

    init(creating url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
    }

    func append(_ data: Data) throws {
        try lock.withLock {
            hasher.update(data: data)
            bytes += data.count
            buffer.append(data)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Flushes to disk and returns the SHA-256 of everything written.
    func finish() throws -> String {
        try lock.withLock {
            if !buffer.isEmpty { try handle.write(contentsOf: buffer) }
            try handle.synchronize()
            try handle.close()
            return hasher.finalize().backupHex
        }
    }

    /// Flushes a directory's entries (a new file's name) to disk.
    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// The SHA-256 of a file, read in chunks; nil when it cannot be read.
    static func sha256(of url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().backupHex
    }
}

/// Reads a file line by line without loading it whole.
struct LineReader {
    private let handle: FileHandle
    private var buffer = Data()
    private var finished = false

    init(_ url: URL) throws { handle = try FileHandle(forReadingFrom: url) }

    mutating func next() throws -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                return Data(line)
            }
            if finished {
                if buffer.isEmpty { return nil }
                defer { buffer = Data() }
                return buffer
            }
            if let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                buffer.append(chunk)
            } else {
                finished = true
            }
        }
    }

    func close() { try? handle.close() }
}

extension Sequence where Element == UInt8 {
    var backupHex: String { map { String(format: "%02x", $0) }.joined() }
}
