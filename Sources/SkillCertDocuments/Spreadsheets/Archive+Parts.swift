import Foundation
import ZIPFoundation

/// The two things every ZIP-based format here (XLSX, QTI packages) does with an archive.
extension Archive {
    /// The bytes of one entry, nil when absent; a damaged entry is a clear `SpreadsheetError`, not a crash or a 500.
    func readPart(_ path: String) throws -> Data? {
        guard let entry = self[path] else { return nil }
        var out = Data()
        do {
            _ = try extract(entry, skipCRC32: false) { out.append($0) }
        } catch {
            throw SpreadsheetError(code: "corrupt", zh: "文件已损坏（\(path) 无法解压）", en: "the file is damaged (\(path) cannot be read)")
        }
        return out
    }

    /// Adds a text entry, deflated.
    func addText(_ path: String, _ text: String) throws {
        let data = Data(text.utf8)
        try addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}
