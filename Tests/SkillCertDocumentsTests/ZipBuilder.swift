import CSystemZlib
import Foundation

/// ZIP archives made field by field, so that tests can write what ordinary writers never do: data descriptors,
/// wrong sizes and checksums, hostile names, ZIP64 markers.
struct ZipBuilder {
    /// One entry: the bytes written after its local header and what the headers say about them.
    struct Item {
        var name: [UInt8]
        var method: UInt16
        var flags: UInt16 = 0
        var payload: [UInt8]
        var checksum: UInt32
        var compressedSize: UInt32
        var uncompressedSize: UInt32
        /// A data descriptor after the payload, with zeros in the local header (flag bit 3), as streaming writers do.
        var descriptor: Descriptor?

        enum Descriptor { case signed, unsigned }

        init(_ name: String, _ content: [UInt8], deflated: Bool = true, descriptor: Descriptor? = nil) {
            self.name = Array(name.utf8)
            method = deflated ? 8 : 0
            payload = deflated ? ZipBuilder.deflate(content) : content
            checksum = ZipBuilder.crc(content)
            compressedSize = UInt32(payload.count)
            uncompressedSize = UInt32(content.count)
            self.descriptor = descriptor
            if descriptor != nil { flags |= 8 }
        }

        init(_ name: String, _ text: String, deflated: Bool = true, descriptor: Descriptor? = nil) {
            self.init(name, Array(text.utf8), deflated: deflated, descriptor: descriptor)
        }
    }

    /// A built archive and where its records start, for patching single fields.
    struct Built {
        var bytes: [UInt8]
        var local: [Int]
        var central: [Int]
        var directory: Int
        var end: Int

        var data: Data { Data(bytes) }

        mutating func set16(_ at: Int, _ value: UInt16) {
            bytes[at] = UInt8(value & 0xFF)
            bytes[at + 1] = UInt8(value >> 8)
        }

        mutating func set32(_ at: Int, _ value: UInt32) {
            set16(at, UInt16(value & 0xFFFF))
            set16(at + 2, UInt16(value >> 16))
        }
    }

    static func build(_ items: [Item], comment: [UInt8] = []) -> Built {
        var out: [UInt8] = []
        func put16(_ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func put32(_ v: UInt32) { put16(UInt16(v & 0xFFFF)); put16(UInt16(v >> 16)) }
        var local: [Int] = []
        for item in items {
            local.append(out.count)
            let zero = item.descriptor != nil
            put32(0x0403_4B50); put16(20); put16(item.flags); put16(item.method); put16(0); put16(0x21)
            put32(zero ? 0 : item.checksum)
            put32(zero ? 0 : item.compressedSize)
            put32(zero ? 0 : item.uncompressedSize)
            put16(UInt16(item.name.count)); put16(0)
            out += item.name + item.payload
            if let descriptor = item.descriptor {
                if descriptor == .signed { put32(0x0807_4B50) }
                put32(item.checksum); put32(item.compressedSize); put32(item.uncompressedSize)
            }
        }
        let directory = out.count
        var central: [Int] = []
        for (item, offset) in zip(items, local) {
            central.append(out.count)
            put32(0x0201_4B50); put16(0x031E); put16(20); put16(item.flags); put16(item.method); put16(0); put16(0x21)
            put32(item.checksum); put32(item.compressedSize); put32(item.uncompressedSize)
            put16(UInt16(item.name.count)); put16(0); put16(0); put16(0); put16(0); put32(0); put32(UInt32(offset))
            out += item.name
        }
        let end = out.count
        put32(0x0605_4B50); put16(0); put16(0); put16(UInt16(items.count)); put16(UInt16(items.count))
        put32(UInt32(end - directory)); put32(UInt32(directory)); put16(UInt16(comment.count))
        out += comment
        return Built(bytes: out, local: local, central: central, directory: directory, end: end)
    }

    /// Raw deflate, as in ZIP entries.
    static func deflate(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        precondition(deflateInit2_(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                                   Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(stream) }
        var input = bytes
        var out = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(bytes.count))))
        let written = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.pointee.next_in = inBuf.baseAddress
                stream.pointee.avail_in = uInt(inBuf.count)
                stream.pointee.next_out = outBuf.baseAddress
                stream.pointee.avail_out = uInt(outBuf.count)
                precondition(CSystemZlib.deflate(stream, Z_FINISH) == Z_STREAM_END)
                return outBuf.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(out.prefix(written))
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        UInt32(bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
    }
}
