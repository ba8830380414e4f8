import Crypto
import Foundation

/// Where uploaded files live, addressed by the SHA-256 of their content: the same file uploaded twice is stored once,
/// and a stored file cannot change under its name. The filesystem store below is the default; an object-store
/// backend implements the same two calls.
public protocol FileStore: Sendable {
    /// Stores the bytes durably and returns their key (lower-case hex SHA-256).
    func put(_ data: Data) async throws -> String
    /// The bytes stored under the key, or nil.
    func get(_ key: String) async throws -> Data?
    /// Deletes the bytes under the key (disposal after retention); a key already gone is not an error.
    func remove(_ key: String) async throws
}

extension FileStore {
    /// A store that cannot delete refuses, so a disposal never reports a file gone that is still there.
    public func remove(_ key: String) async throws { throw CocoaError(.featureUnsupported) }
}

public enum FileStoreError: Error, Sendable {
    case invalidKey(String)
    case corrupted(String)
}

/// Files under a directory as `ab/cd/abcd…` (two levels of fan-out). A write goes to a temporary file, is flushed
/// to disk, then renamed into place and the directory flushed, so an acknowledged upload survives a crash.
public struct LocalFileStore: FileStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public static func key(for data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    func location(_ key: String) throws -> URL {
        guard key.count == 64, key.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw FileStoreError.invalidKey(key) }
        return root.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(String(key.dropFirst(2).prefix(2)))
            .appendingPathComponent(key)
    }

    public func put(_ data: Data) async throws -> String {
        let key = Self.key(for: data)
        let target = try location(key)
        let fm = FileManager.default
        if fm.fileExists(atPath: target.path) { return key }
        let directory = target.deletingLastPathComponent()
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = directory.appendingPathComponent(".\(key).\(UUID().uuidString).tmp")
        guard fm.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, target.path) != 0 { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
        let dirFD = open(directory.path, O_RDONLY)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        return key
    }

    public func get(_ key: String) async throws -> Data? {
        let url = try location(key)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        // A file whose content no longer matches its name has been damaged on disk.
        guard Self.key(for: data) == key else { throw FileStoreError.corrupted(key) }
        return data
    }

    public func remove(_ key: String) async throws {
        let url = try location(key)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        try FileManager.default.removeItem(at: url)
    }
}
