import Foundation

/// What an uploaded file really is, decided from its first bytes rather than its name.
public enum ContentKind: String, Sendable, CaseIterable {
    case pdf, jpeg, png

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        }
    }

    public var fileExtension: String {
        switch self {
        case .pdf: "pdf"
        case .jpeg: "jpg"
        case .png: "png"
        }
    }

    /// The kind the content's signature shows, or nil for anything else (a renamed ZIP, a Word file, text).
    public static func sniff(_ data: Data) -> ContentKind? {
        let head = [UInt8](data.prefix(8))
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }
}

/// Width and height in pixels read from a PNG header or a JPEG frame header.
public struct PixelSize: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public static func of(_ data: Data, kind: ContentKind) -> PixelSize? {
        let b = [UInt8](data.prefix(kind == .png ? 24 : 256 * 1024))
        switch kind {
        case .png:
            // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
            guard b.count >= 24, Array(b[12..<16]) == Array("IHDR".utf8) else { return nil }
            let w = b[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let h = b[20..<24].reduce(0) { $0 << 8 | Int($1) }
            return w > 0 && h > 0 ? PixelSize(width: w, height: h) : nil
        case .jpeg:
            // Walk the markers to the first start-of-frame (SOF0–SOF15 except DHT, JPG and DAC).
            var i = 2
            while i + 9 < b.count {
                guard b[i] == 0xFF else { return nil }
                let marker = b[i + 1]
                if marker == 0xFF { i += 1; continue }
                let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    let h = Int(b[i + 5]) << 8 | Int(b[i + 6])
                    let w = Int(b[i + 7]) << 8 | Int(b[i + 8])
                    return w > 0 && h > 0 ? PixelSize(width: w, height: h) : nil
                }
                guard length >= 2 else { return nil }
                i += 2 + length
            }
            return nil
        case .pdf:
            return nil
        }
    }
}

/// The checks an upload must pass before it is stored: its kind by content and its size; a photo also its pixel size
/// and the 1-inch (25 × 35 mm) proportion certificates print it at.
public enum UploadRules {
    /// Accepted kinds for application materials.
    public static let materialKinds: Set<ContentKind> = [.pdf, .jpeg, .png]
    /// Smallest photo accepted: a 1-inch photo at 300 dpi is 295 × 413 pixels.
    public static let photoMinimum = PixelSize(width: 295, height: 413)
    /// Width / height of a 1-inch photo, and the tolerance allowed.
    public static let photoRatio = 25.0 / 35.0
    public static let photoRatioTolerance = 0.04

    /// Checks one material file; returns its kind. `field` names the form field in the errors.
    public static func material(_ data: Data, fileName: String, maxBytes: Int, field: String) throws -> ContentKind {
        let label = fileName.isEmpty ? "上传的文件" : "文件“\(fileName)”"
        guard !data.isEmpty else {
            throw ValidationFailure([FieldError(code: "empty_file", field: field, zh: "\(label)是空文件", en: "the file \(fileName) is empty")])
        }
        guard let kind = ContentKind.sniff(data), materialKinds.contains(kind) else {
            throw ValidationFailure([FieldError(code: "unsupported_type", field: field,
                                                zh: "\(label)不是 PDF、JPEG 或 PNG 文件（按文件内容判断，与扩展名无关）",
                                                en: "\(fileName) is not a PDF, JPEG or PNG file (judged by its content)")])
        }
        guard data.count <= maxBytes else {
            throw ValidationFailure([FieldError(code: "too_large", field: field,
                                                zh: "\(label)超过 \(maxBytes / 1024) KB 的大小限制",
                                                en: "\(fileName) is larger than \(maxBytes / 1024) KB")])
        }
        return kind
    }

    /// Checks a candidate photo: JPEG or PNG, within the size limit, at least 295 × 413 pixels, 1-inch proportion.
    public static func photo(_ data: Data, maxBytes: Int, field: String = "photo") throws -> (ContentKind, PixelSize) {
        guard !data.isEmpty else {
            throw ValidationFailure([FieldError(code: "empty_file", field: field, zh: "请选择照片文件", en: "choose a photo file")])
        }
        guard let kind = ContentKind.sniff(data), kind != .pdf else {
            throw ValidationFailure([FieldError(code: "unsupported_type", field: field, zh: "照片须为 JPEG 或 PNG 图片",
                                                en: "the photo must be a JPEG or PNG image")])
        }
        guard data.count <= maxBytes else {
            throw ValidationFailure([FieldError(code: "too_large", field: field, zh: "照片超过 \(maxBytes / 1024) KB，请压缩后再上传",
                                                en: "the photo is larger than \(maxBytes / 1024) KB")])
        }
        guard let size = PixelSize.of(data, kind: kind) else {
            throw ValidationFailure([FieldError(code: "unreadable_image", field: field, zh: "无法读取照片的尺寸，文件可能已损坏",
                                                en: "the photo's dimensions cannot be read; the file may be damaged")])
        }
        guard size.width >= photoMinimum.width, size.height >= photoMinimum.height else {
            throw ValidationFailure([FieldError(code: "too_small", field: field,
                                                zh: "照片为 \(size.width)×\(size.height) 像素，至少需要 \(photoMinimum.width)×\(photoMinimum.height) 像素",
                                                en: "the photo is \(size.width)×\(size.height) px; at least \(photoMinimum.width)×\(photoMinimum.height) px is needed")])
        }
        let ratio = Double(size.width) / Double(size.height)
        guard abs(ratio - photoRatio) <= photoRatioTolerance else {
            throw ValidationFailure([FieldError(code: "wrong_proportion", field: field,
                                                zh: "照片应为 1 寸证件照比例（宽:高 = 25:35），当前为 \(size.width)×\(size.height) 像素",
                                                en: "the photo must have the 1-inch proportion (25:35); it is \(size.width)×\(size.height) px")])
        }
        return (kind, size)
    }
}
