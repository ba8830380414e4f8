import Foundation

/// Small but real files for upload tests: a PDF, PNG images of any size, and a JPEG header.
public enum Fixtures {
    /// A one-page PDF.
    public static let pdf = Data("""
        %PDF-1.4
        1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
        2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
        3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj
        trailer << /Root 1 0 R >>
        %%EOF
        """.utf8)

    /// A white greyscale PNG of the given size (stored, uncompressed deflate blocks; valid CRCs and Adler-32).
    public static func png(width: Int, height: Int) -> Data {
        var raw = Data()
        for _ in 0..<height {
            raw.append(0)
            raw.append(Data(repeating: 0xFF, count: width))
        }
        var zlib = Data([0x78, 0x01])
        var offset = 0
        repeat {
            let n = min(65_535, raw.count - offset)
            let last = offset + n >= raw.count
            zlib.append(last ? 1 : 0)
            zlib.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)])
            zlib.append(raw.subdata(in: offset..<(offset + n)))
            offset += n
        } while offset < raw.count
        zlib.append(contentsOf: be32(adler32(raw)))
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        png.append(chunk("IHDR", Data(be32(UInt32(width)) + be32(UInt32(height)) + [8, 0, 0, 0, 0])))
        png.append(chunk("IDAT", zlib))
        png.append(chunk("IEND", Data()))
        return png
    }

    /// A JPEG's first bytes up to its frame header (enough to be recognised and measured, not to be decoded).
    public static func jpegHeader(width: Int, height: Int) -> Data {
        var d = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) + Data("JFIF\0".utf8) + Data([1, 1, 0, 0, 1, 0, 1, 0, 0])
        d += Data([0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF),
                   0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01])
        return d + Data([0xFF, 0xD9])
    }

    /// A 1-inch photo at 300 dpi.
    public static var photo: Data { png(width: 295, height: 413) }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ body: Data) -> Data {
        let typed = Data(type.utf8) + body
        return Data(be32(UInt32(body.count))) + typed + Data(be32(crc32(typed)))
    }

    static func crc32(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    static func adler32(_ data: Data) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
