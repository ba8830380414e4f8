import Foundation
import ZIPFoundation

/// Writing ZIP-based formats (XLSX, QTI packages) with ZIPFoundation. Reading goes through `ZipReader`, which refuses
/// damaged and hostile uploads that ZIPFoundation's reader can hang on (docs/adr/0006-zip-reading.md).
extension Archive {
    /// Adds a text entry, deflated.
    func addText(_ path: String, _ text: String) throws {
        let data = Data(text.utf8)
        try addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}
