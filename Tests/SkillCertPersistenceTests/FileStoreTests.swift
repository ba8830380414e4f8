import Foundation
import SkillCertPersistence
import Testing

@Suite("Content-addressed file store")
struct FileStoreTests {
    @Test("the same bytes get the same key and are stored once; a damaged file is detected on reading")
    func contentAddressing() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = LocalFileStore(root: root)
        let a = try await store.put(Data("准考证".utf8))
        let b = try await store.put(Data("准考证".utf8))
        #expect(a == b && a.count == 64)
        #expect(try await store.get(a) == Data("准考证".utf8))
        let path = root.appendingPathComponent(String(a.prefix(2))).appendingPathComponent(String(a.dropFirst(2).prefix(2))).appendingPathComponent(a)
        let files = try FileManager.default.contentsOfDirectory(atPath: path.deletingLastPathComponent().path)
        #expect(files == [a])
        try Data("tampered".utf8).write(to: path)
        await #expect(throws: FileStoreError.self) { _ = try await store.get(a) }
        #expect(try await store.get(String(repeating: "0", count: 64)) == nil)
        await #expect(throws: FileStoreError.self) { _ = try await store.get("../../etc/passwd") }
    }
}
