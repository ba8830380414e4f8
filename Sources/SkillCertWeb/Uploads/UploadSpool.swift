import Crypto
import Foundation
import Vapor

/// An uploaded file written to a temporary file as it arrives, never held whole in memory, with its SHA-256.
struct SpooledUpload {
    var url: URL
    var fileName: String
    var size: Int
    var sha256: String
    /// Small form fields that came with a multipart upload.
    var fields: [String: String]

    func remove() { try? FileManager.default.removeItem(at: url) }
}

enum UploadSpool {
    static let maxBytes = 200 * 1024 * 1024
    static let maxFieldBytes = 4096

    /// The request body itself is the file (API uploads).
    static func raw(_ req: Request, fileName: String) async throws -> SpooledUpload {
        let sink = try Sink()
        do {
            for try await buffer in req.body { try sink.write(buffer) }
            return try sink.finish(fileName: fileName, fields: [:])
        } catch {
            sink.abandon()
            throw error
        }
    }

    /// A multipart form: the part named `file` goes to disk; other parts are small fields.
    static func multipart(_ req: Request) async throws -> SpooledUpload {
        guard let boundary = req.headers.contentType?.parameters["boundary"] else {
            throw WebError(.badRequest, code: "not_multipart", zh: "请通过表单选择文件上传", en: "send the file as multipart/form-data")
        }
        let sink = try Sink()
        let parser = MultipartParser(boundary: boundary)
        final class PartState: @unchecked Sendable {
            var name = ""
            var fileName = ""
            var value = ByteBuffer()
            var fields: [String: String] = [:]
            var uploadName: String?
            var failure: (any Error)?
        }
        let state = PartState()
        parser.onHeader = { field, value in
            guard field.lowercased() == "content-disposition" else { return }
            for item in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if item.hasPrefix("name=") { state.name = String(item.dropFirst(5)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                if item.hasPrefix("filename=") { state.fileName = String(item.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            }
        }
        parser.onBody = { buffer in
            guard state.failure == nil else { return }
            if state.name == "file" {
                do { try sink.write(buffer) } catch { state.failure = error }
            } else if state.value.readableBytes + buffer.readableBytes <= maxFieldBytes {
                state.value.writeImmutableBuffer(buffer)
            }
        }
        parser.onPartComplete = {
            if state.name == "file" {
                state.uploadName = state.fileName
            } else {
                state.fields[state.name] = state.value.readString(length: state.value.readableBytes) ?? ""
            }
            state.name = ""
            state.fileName = ""
            state.value.clear()
        }
        do {
            for try await buffer in req.body {
                try parser.execute(buffer)
                if let failure = state.failure { throw failure }
            }
            guard let name = state.uploadName else {
                throw WebError(.badRequest, code: "no_file", zh: "请选择要上传的文件", en: "choose a file", field: "file")
            }
            return try sink.finish(fileName: name, fields: state.fields)
        } catch {
            sink.abandon()
            throw error
        }
    }

    /// Writes chunks to a fresh temporary file, hashing as it goes.
    final class Sink: @unchecked Sendable {
        let url: URL
        let handle: FileHandle
        var hasher = SHA256()
        var size = 0

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-upload-\(UUID().uuidString)")
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            handle = try FileHandle(forWritingTo: url)
        }

        func write(_ buffer: ByteBuffer) throws {
            size += buffer.readableBytes
            guard size <= UploadSpool.maxBytes else {
                throw WebError(.payloadTooLarge, code: "too_large", zh: "文件超过 \(UploadSpool.maxBytes / 1024 / 1024) MB",
                               en: "the file is larger than \(UploadSpool.maxBytes / 1024 / 1024) MB")
            }
            buffer.withUnsafeReadableBytes { bytes in hasher.update(bufferPointer: bytes) }
            try handle.write(contentsOf: buffer.readableBytesView)
        }

        func finish(fileName: String, fields: [String: String]) throws -> SpooledUpload {
            try handle.close()
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return SpooledUpload(url: url, fileName: fileName, size: size, sha256: digest, fields: fields)
        }

        func abandon() {
            try? handle.close()
            try? FileManager.default.removeItem(at: url)
        }
    }
}
