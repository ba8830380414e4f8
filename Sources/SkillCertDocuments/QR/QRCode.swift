import CQREncode
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A QR code symbol: `size` × `size` modules, row-major, `true` = dark. The quiet zone is not included.
public struct QRMatrix: Sendable, Equatable {
    /// The symbol version (1…40).
    public let version: Int
    /// Modules per side (21 for version 1, 4 more per version).
    public let size: Int
    /// `size * size` modules, row by row.
    public let modules: [Bool]

    public init(version: Int, size: Int, modules: [Bool]) {
        precondition(size > 0 && modules.count == size * size, "QRMatrix needs size × size modules")
        self.version = version
        self.size = size
        self.modules = modules
    }

    /// Whether the module at `row`, `column` is dark.
    public subscript(row: Int, column: Int) -> Bool { modules[row * size + column] }

    /// The modules as rows, for `PDFBuilder.modules(_:side:align:)`.
    public var rows: [[Bool]] {
        (0..<size).map { row in Array(modules[row * size..<(row + 1) * size]) }
    }
}

/// Why a QR code could not be made.
public enum QRCodeError: Error, Sendable, Equatable {
    /// Nothing to encode.
    case empty
    /// The text contains U+0000, which a C string cannot carry.
    case containsNUL
    /// More bytes (UTF-8) than the largest symbol holds at the chosen level.
    case tooLong(bytes: Int)
    /// libqrencode failed for another reason (its errno).
    case encoder(errno: Int32)
}

/// QR codes from libqrencode (Debian's libqrencode-dev).
public enum QRCode {
    /// Error correction: the share of the symbol that may be damaged and still read (about 7, 15, 25, 30 %).
    public enum Level: Sendable, CaseIterable {
        case low, medium, quartile, high

        var qrLevel: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// The smallest symbol that holds `text` (UTF-8, case preserved; digits and capitals are packed tighter).
    public static func matrix(for text: String, level: Level = .medium) throws -> QRMatrix {
        guard !text.isEmpty else { throw QRCodeError.empty }
        guard !text.utf8.contains(0) else { throw QRCodeError.containsNUL }
        errno = 0
        // QR_MODE_8 as the hint: anything that is not a digit or capital letter goes in 8-bit mode as is (UTF-8);
        // case sensitive, so lower case is not folded into the alphanumeric set.
        guard let code = QRcode_encodeString(text, 0, level.qrLevel, QR_MODE_8, 1) else {
            let reason = errno
            if reason == ERANGE { throw QRCodeError.tooLong(bytes: text.utf8.count) }
            throw QRCodeError.encoder(errno: reason)
        }
        defer { QRcode_free(code) }
        let size = Int(code.pointee.width)
        guard size > 0, let data = code.pointee.data else { throw QRCodeError.encoder(errno: 0) }
        // Bit 0 of each byte is the module's colour; the other bits say what kind of module it is.
        let modules = UnsafeBufferPointer(start: data, count: size * size).map { $0 & 1 == 1 }
        return QRMatrix(version: Int(code.pointee.version), size: size, modules: modules)
    }
}
