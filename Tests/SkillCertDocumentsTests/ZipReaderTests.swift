import Foundation
import Testing
import ZIPFoundation
@testable import SkillCertDocuments

@Suite("ZIP reader")
struct ZipReaderTests {
    typealias Item = ZipBuilder.Item

    /// What the caller passes for "not a ZIP archive", so that tests tell it apart from the reader's own errors.
    static let notZip = SpreadsheetError(code: "not_zip", zh: "不是压缩包", en: "not a ZIP archive")

    /// A chunk larger than asked for.
    struct OversizedChunk: Error {}

    /// Every entry's bytes, read in pieces of `bufferSize`, from memory or through a temporary file.
    static func contents(_ data: Data, bufferSize: Int = 64 * 1024,
                         fromFile: Bool = false) throws -> [String: [UInt8]] {
        let reader: ZipReader
        if fromFile {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString).zip")
            try data.write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            reader = try ZipReader(fileAt: url, notZip: notZip)
        } else {
            reader = try ZipReader(data: data, notZip: notZip)
        }
        var out: [String: [UInt8]] = [:]
        for entry in reader.entries {
            var bytes: [UInt8] = []
            try reader.streamPart(entry, bufferSize: bufferSize) {
                guard $0.count <= bufferSize else { throw OversizedChunk() }
                bytes += $0
            }
            out[entry.path] = bytes
        }
        return out
    }

    /// The error reading every entry of `data` throws, or nil when all read.
    static func failure(_ data: Data, bufferSize: Int = 64 * 1024) -> (any Error)? {
        do { _ = try contents(data, bufferSize: bufferSize) } catch { return error }
        return nil
    }

    /// The `SpreadsheetError` reading every entry of `data` throws, or nil when all read; any other error is an issue.
    static func error(_ data: Data, bufferSize: Int = 64 * 1024) -> SpreadsheetError? {
        guard let failure = failure(data, bufferSize: bufferSize) else { return nil }
        guard let error = failure as? SpreadsheetError else {
            Issue.record("not a SpreadsheetError: \(failure)")
            return nil
        }
        return error
    }

    static func error(_ built: ZipBuilder.Built) -> SpreadsheetError? { error(built.data) }

    /// Runs `body` on its own thread and returns its result, or nil when it did not return within `seconds`: a hang
    /// fails the test instead of stalling the run (the stuck thread is left behind). Expectations belong outside
    /// `body`, on the test's own task.
    static func within<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () -> T) -> T? {
        let result = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.set(body())
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return result.get()
    }

    /// Bytes that compress somewhat, like XML: a repeating text with a counter.
    static func sample(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        var i = 0
        while out.count < count {
            out += Array("<c r=\"A\(i)\"><v>\(i &* 7919 % 1000)</v></c>".utf8)
            i += 1
        }
        return Array(out.prefix(count))
    }

    // MARK: Reading what writers write

    @Test("a workbook from XLSXWriter reads as ZIPFoundation reads it, from memory or a file, at every buffer size")
    func writerRoundTrip() throws {
        let rows = (0..<2000).map { i in [CellValue.text("第\(i)行"), .number(Double(i))] }
        let data = try XLSXWriter.write([Worksheet(name: "报名", header: ["备注", "序号"], rows: rows)])
        let archive = try Archive(data: data, accessMode: .read)
        var expected: [String: [UInt8]] = [:]
        for entry in archive {
            var bytes: [UInt8] = []
            _ = try archive.extract(entry) { bytes += $0 }
            expected[entry.path] = bytes
        }
        #expect(expected.count == 6 && expected["xl/worksheets/sheet1.xml"]!.count > 100_000)
        for size in [1, 7, 4096, 65_536] {
            #expect(try Self.contents(data, bufferSize: size) == expected, "buffer size \(size)")
            #expect(try Self.contents(data, bufferSize: size, fromFile: true) == expected, "file, buffer size \(size)")
        }
        let reader = try ZipReader(data: data, notZip: Self.notZip)
        #expect(reader.entries.map(\.path) == archive.map(\.path))
        #expect(reader.entries.allSatisfy { $0.method == 8 })
    }

    @Test("stored and deflated entries written by ZIPFoundation read back byte for byte")
    func zipFoundationRoundTrip() throws {
        let contents: [(String, [UInt8])] = [
            ("empty.txt", []), ("one.txt", [0x41]), ("文件/名称.xml", Array("中文路径".utf8)),
            ("sample.xml", Self.sample(300_000)), ("zeros.bin", [UInt8](repeating: 0, count: 300_000)),
            ("noise.bin", (0..<70_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }),
        ]
        for method in [CompressionMethod.none, .deflate] {
            let archive = try Archive(data: Data(), accessMode: .create)
            for (path, bytes) in contents {
                let data = Data(bytes)
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count),
                                     compressionMethod: method) { data.subdata(in: Int($0)..<Int($0) + $1) }
            }
            let data = try #require(archive.data)
            let expected = Dictionary(uniqueKeysWithValues: contents)
            for size in [3, 4096, 65_536] {
                #expect(try Self.contents(data, bufferSize: size) == expected, "\(method), buffer size \(size)")
            }
            #expect(try Self.contents(data, fromFile: true) == expected, "\(method), from a file")
        }
    }

    @Test("entries with a data descriptor, signed or not, read the same: sizes come from the central directory")
    func dataDescriptors() throws {
        let text = String(decoding: Self.sample(50_000), as: UTF8.self)
        for descriptor in [Item.Descriptor.signed, .unsigned] {
            let built = ZipBuilder.build([
                Item("deflated.xml", text, descriptor: descriptor),
                Item("stored.xml", text, deflated: false, descriptor: descriptor),
                Item("empty.xml", "", descriptor: descriptor),
            ])
            // The local headers really say nothing: zeros where checksum and sizes would be.
            #expect(built.bytes[(built.local[0] + 14)..<(built.local[0] + 26)].allSatisfy { $0 == 0 })
            for size in [1, 5, 65_536] {
                let read = try Self.contents(built.data, bufferSize: size)
                #expect(read == ["deflated.xml": Array(text.utf8), "stored.xml": Array(text.utf8), "empty.xml": []])
            }
        }
    }

    @Test("archives streamed by other tools read: Python's zipfile (data descriptors), Info-ZIP (ZIP64 end record)")
    func otherWriters() throws {
        // zipfile.ZipFile on an unseekable stream: xl/a.xml deflated and b.txt stored, both with signed descriptors.
        let python = """
            UEsDBBQACAAIAAAAIQAAAAAAAAAAAAAAAAAIAAAAeGwvYS54bWyzSbR7NnXDs951CqMUGmWjn2gHAFBLBwg7uJraFAAAAB8BAABQ\
            SwMEFAAIAAAAAAAhAAAAAAAAAAAAAAAAAAUAAABiLnR4dHN0b3JlZCBieXRlc1BLBwh4d6YPDAAAAAwAAABQSwECFAMUAAgACAAA\
            ACEAO7ia2hQAAAAfAQAACAAAAAAAAAAAAAAAgAEAAAAAeGwvYS54bWxQSwECFAMUAAgAAAAAACEAeHemDwwAAAAMAAAABQAAAAAA\
            AAAAAAAAgAFKAAAAYi50eHRQSwUGAAAAAAIAAgBpAAAAiQAAAAAA
            """
        let a = "<a>" + String(repeating: "数据 ", count: 40) + "</a>"
        let fromPython = try Self.contents(try #require(Data(base64Encoded: python)))
        #expect(fromPython == ["xl/a.xml": Array(a.utf8), "b.txt": Array("stored bytes".utf8)])
        // `printf 'hello hello hello hello\n' | zip - -`: all ones in the local header, a ZIP64 end record and
        // locator, and real values in the central directory and the ordinary end record.
        let infoZip = """
            UEsDBC0AAAAIABCue10AiFkL//////////8BABQALQEAEAAYAAAAAAAAAAsAAAAAAAAAy0jNyclXyEAnuQBQSwECHgMtAAAACAAQ\
            rntdAIhZCwsAAAAYAAAAAQAAAAAAAAABAAAAgBEAAAAALVBLBgYsAAAAAAAAAB4DLQAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAAv\
            AAAAAAAAAD4AAAAAAAAAUEsGBwAAAABtAAAAAAAAAAEAAABQSwUGAAAAAAEAAQAvAAAAPgAAAAAA
            """
        let fromInfoZip = try Self.contents(try #require(Data(base64Encoded: infoZip)))
        #expect(fromInfoZip == ["-": Array("hello hello hello hello\n".utf8)])
    }

    @Test("zlib's checksum agrees with ZIPFoundation's, in pieces")
    func checksum() throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ $0 >> 3) }
        #expect(ZipBuilder.crc(bytes) == Data(bytes).crc32(checksum: 0))
        let built = ZipBuilder.build([Item("x", bytes, deflated: false)])
        #expect(try Self.contents(built.data, bufferSize: 7)["x"] == bytes)
    }

    @Test("readPart gives nil for an absent entry and refuses one that would decompress beyond its limit")
    func readPart() throws {
        let reader = try ZipReader(data: ZipBuilder.build([Item("a.xml", Self.sample(3000))]).data, notZip: Self.notZip)
        #expect(try reader.readPart("a.xml") == Data(Self.sample(3000)))
        #expect(try reader.readPart("b.xml") == nil)
        #expect(throws: ZipReader.tooLarge("a.xml", maxBytes: 2999)) { try reader.readPart("a.xml", maxBytes: 2999) }
        #expect(try reader.readPart("a.xml", maxBytes: 3000)?.count == 3000)
    }

    @Test("errors thrown by the consumer pass through unchanged")
    func consumerErrors() throws {
        struct Stop: Error {}
        let reader = try ZipReader(data: ZipBuilder.build([Item("a", Self.sample(100_000))]).data, notZip: Self.notZip)
        #expect(throws: Stop.self) { try reader.streamPart(reader.entries[0], bufferSize: 100) { _ in throw Stop() } }
    }

    // MARK: Damaged entries

    @Test("the deflate stream that spun ZIPFoundation (hostile/spin.xlsx) is refused at once, at every entry point",
          arguments: [16, 1_000_000])
    func spin(declaredSize: Int) throws {
        // The sheet of spin.xlsx: a stored block announcing 65,535 bytes, then 11 bytes and the end of the entry.
        // ZIPFoundation 0.9.20 hands out 65,531 bytes (mostly not from the file) and then loops; with the size as
        // declared in spin.xlsx (16) the old size guard stopped it, with a larger one it spun.
        let stream: [UInt8] = [0x00, 0xFF, 0xFF, 0x00, 0x00] + Array("<worksheet>".utf8)
        func spinning(_ path: String) -> Item {
            var item = Item(path, [UInt8](repeating: 0x20, count: declaredSize))
            item.payload = stream
            item.compressedSize = UInt32(stream.count)
            return item
        }
        let base = try XLSXWriter.write([Worksheet(name: "S", header: ["x"], rows: [])])
        let archive = try Archive(data: base, accessMode: .read)
        var items: [Item] = []
        for entry in archive where entry.path != "xl/worksheets/sheet1.xml" {
            var bytes: [UInt8] = []
            _ = try archive.extract(entry) { bytes += $0 }
            items.append(Item(entry.path, bytes))
        }
        let data = ZipBuilder.build(items + [spinning("xl/worksheets/sheet1.xml")]).data
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spin-\(UUID().uuidString).xlsx")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let qti = ZipBuilder.build([spinning("imsmanifest.xml")]).data

        let reads: [@Sendable () throws -> Void] = [
            { try TableReader.rows(fileAt: url) { _, _ in } }, { _ = try XLSXReader.read(data) },
            { _ = try QTIPackage.import(qti) },
        ]
        let errors = Self.within(seconds: 10) {
            reads.map { read -> SpreadsheetError? in
                do { try read() } catch { return error as? SpreadsheetError }
                return nil
            }
        }
        let sheet = ZipReader.damaged("xl/worksheets/sheet1.xml")
        #expect(errors == [sheet, sheet, ZipReader.damaged("imsmanifest.xml")])
    }

    @Test("a deflate stream cut anywhere is refused as damaged, never hangs")
    func truncatedStream() {
        let content = Self.sample(6000)
        let full = Item("a.xml", content)
        let wrong = Self.within(seconds: 30) {
            (0..<full.payload.count).filter { cut in
                var item = full
                item.payload = Array(full.payload.prefix(cut))
                item.compressedSize = UInt32(cut)
                let failure = Self.failure(ZipBuilder.build([item]).data, bufferSize: cut % 3 == 0 ? 5 : 4096)
                return failure as? SpreadsheetError != ZipReader.damaged("a.xml")
            }
        }
        #expect(wrong == [], "cuts not refused as damaged")
    }

    @Test("a file cut anywhere is refused")
    func truncatedFile() {
        let items = [Item("a.xml", Self.sample(2000)), Item("b.xml", Self.sample(500), deflated: false)]
        let data = ZipBuilder.build(items).data
        #expect(Self.error(data) == nil)
        for cut in 0..<data.count {
            #expect(Self.error(data.prefix(cut)) != nil, "cut at \(cut)")
        }
    }

    @Test("undecodable deflate data is refused as damaged")
    func undecodable() {
        // Block type 3 does not exist; a dynamic block with an impossible code-length table.
        // A stored block whose length check fails.
        let payloads: [[UInt8]] = [[0x07, 0x00, 0x00], [0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                                   [0x01, 0x05, 0x00, 0x00, 0x00]]
        for payload in payloads {
            var item = Item("a.xml", "hello")
            item.payload = payload
            item.compressedSize = UInt32(payload.count)
            #expect(Self.error(ZipBuilder.build([item])) == ZipReader.damaged("a.xml"), "\(payload)")
        }
    }

    @Test("output beyond the declared size stops there: a bomb is refused after at most its declared bytes")
    func tooMuchOutput() throws {
        let zeros = [UInt8](repeating: 0, count: 32 << 20)
        var bomb = Item("bomb.xml", zeros)
        bomb.uncompressedSize = 1000
        let reader = try ZipReader(data: ZipBuilder.build([bomb]).data, notZip: Self.notZip)
        var delivered = 0
        let start = ContinuousClock.now
        #expect(throws: ZipReader.damaged("bomb.xml")) {
            try reader.streamPart(reader.entries[0], bufferSize: 300) { delivered += $0.count }
        }
        #expect(delivered <= 1000)
        #expect(ContinuousClock.now - start < .seconds(1))

        for deflated in [true, false] {
            var short = Item("short.xml", Self.sample(5000), deflated: deflated)
            short.uncompressedSize = 5001
            if !deflated { short.compressedSize = 5001 }
            #expect(Self.error(ZipBuilder.build([short])) != nil, "declared one byte more, deflated: \(deflated)")
            var long = Item("long.xml", Self.sample(5000), deflated: deflated)
            long.uncompressedSize = 4999
            #expect(Self.error(ZipBuilder.build([long])) == ZipReader.damaged("long.xml"),
                    "declared one byte less, deflated: \(deflated)")
        }
    }

    @Test("a checksum that does not match is refused, stored or deflated, with or without a descriptor")
    func wrongChecksum() {
        for deflated in [true, false] {
            for descriptor in [nil, Item.Descriptor.signed] {
                var item = Item("a.xml", Self.sample(3000), deflated: deflated, descriptor: descriptor)
                item.checksum ^= 0x0100
                #expect(Self.error(ZipBuilder.build([item])) == ZipReader.damaged("a.xml"))
            }
        }
        // One changed byte of stored content, checksum left alone.
        var built = ZipBuilder.build([Item("a.xml", Self.sample(3000), deflated: false)])
        built.bytes[built.local[0] + 30 + 5 + 1000] ^= 1
        #expect(Self.error(built) == ZipReader.damaged("a.xml"))
    }

    // MARK: Refused archives

    @Test("encrypted entries and methods other than stored and deflate are refused as unsupported; others still read")
    func unsupportedEntries() throws {
        var encrypted = Item("secret.xml", "x")
        encrypted.flags |= 1
        var bzip2 = Item("b.xml", "x")
        bzip2.method = 12
        var deflate64 = Item("d.xml", "x")
        deflate64.method = 9
        let data = ZipBuilder.build([encrypted, bzip2, deflate64, Item("ok.xml", "ok")]).data
        let reader = try ZipReader(data: data, notZip: Self.notZip)
        let refusals = [ZipReader.encrypted("secret.xml"), ZipReader.unsupported("b.xml", method: 12),
                        ZipReader.unsupported("d.xml", method: 9)]
        for (entry, expected) in zip(reader.entries, refusals) {
            #expect(throws: expected) { try reader.streamPart(entry) { _ in } }
            #expect(expected.code == "unsupported_zip")
        }
        #expect(try reader.readPart("ok.xml") == Data("ok".utf8))
    }

    @Test("ZIP64 archives are refused as unsupported, whichever field says so")
    func zip64() {
        let built = ZipBuilder.build([Item("a.xml", "a"), Item("b.xml", "b")])
        let c = built.central[1]
        let e = built.end
        let patches: [(String, (inout ZipBuilder.Built) -> Void)] = [
            ("compressed size", { $0.set32(c + 20, 0xFFFF_FFFF) }),
            ("uncompressed size", { $0.set32(c + 24, 0xFFFF_FFFF) }),
            ("local header offset", { $0.set32(c + 42, 0xFFFF_FFFF) }),
            ("disk number start", { $0.set16(c + 34, 0xFFFF) }),
            ("entries on this disk", { $0.set16(e + 8, 0xFFFF) }),
            ("entries", { $0.set16(e + 8, 0xFFFF); $0.set16(e + 10, 0xFFFF) }),
            ("directory size", { $0.set32(e + 12, 0xFFFF_FFFF) }),
            ("directory offset", { $0.set32(e + 16, 0xFFFF_FFFF) }),
        ]
        for (name, patch) in patches {
            var b = built
            patch(&b)
            #expect(Self.error(b) == ZipReader.zip64, "\(name)")
        }
        #expect(ZipReader.zip64.code == "unsupported_zip")
    }

    @Test("entry names that leave the archive are refused; ordinary names with dots are not")
    func unsafeNames() throws {
        let unsafe = ["/etc/passwd", "\\windows\\x", "../x.xml", "xl/../../x.xml", "xl\\..\\x.xml", "..", "a/..",
                      "C:/x.xml", "c:x.xml", "", "a\u{0}b"]
        for name in unsafe {
            let built = ZipBuilder.build([Item("ok.xml", "x"), Item(name, "x")])
            #expect(Self.error(built) == Self.notZip, "\(name.debugDescription)")
        }
        let names = ["[Content_Types].xml", "_rels/.rels", "a..b/c", "x/..y", "...", "a/./b", "目录/文件.xml", "dir/"]
        let read = try Self.contents(ZipBuilder.build(names.map { Item($0, $0) }).data)
        #expect(read == Dictionary(uniqueKeysWithValues: names.map { ($0, Array($0.utf8)) }))
    }

    @Test("two entries with the same name are refused: which one a reader takes must not matter")
    func duplicates() {
        let built = ZipBuilder.build([Item("a.xml", "1"), Item("b.xml", "2"), Item("a.xml", "3")])
        #expect(Self.error(built) == Self.notZip)
    }

    @Test("more than 10,000 entries are refused, declared or real; 10,000 are read")
    func entryLimit() throws {
        var declared = ZipBuilder.build([Item("a.xml", "a")])
        declared.set16(declared.end + 8, 10_001)
        declared.set16(declared.end + 10, 10_001)
        #expect(Self.error(declared) == ZipReader.tooManyEntries)
        #expect(ZipReader.tooManyEntries.code == "too_large")

        let items = (0..<10_001).map { Item("i/\($0)", [], deflated: false) }
        #expect(Self.error(ZipBuilder.build(items)) == ZipReader.tooManyEntries)
        let most = try ZipReader(data: ZipBuilder.build(Array(items.dropLast())).data, notZip: Self.notZip)
        #expect(most.entries.count == 10_000)
    }

    @Test("a central directory outside the file or disagreeing with the end record is refused")
    func badDirectory() {
        let built = ZipBuilder.build([Item("a.xml", Self.sample(1000)), Item("b.xml", "b")])
        let (c, e, d) = (built.central[1], built.end, UInt32(built.directory))
        let size = UInt32(built.end - built.directory)
        let patches: [(String, (inout ZipBuilder.Built) -> Void)] = [
            ("offset past the end", { $0.set32(e + 16, UInt32($0.bytes.count) + 100) }),
            ("size past the end", { $0.set32(e + 12, size + 1000) }),
            ("directory overlapping the end record", { $0.set32(e + 16, d + 1) }),
            ("one entry more than there are", { $0.set16(e + 8, 3); $0.set16(e + 10, 3) }),
            ("one entry fewer: bytes left over", { $0.set16(e + 8, 1); $0.set16(e + 10, 1) }),
            ("entry count of this disk differs", { $0.set16(e + 8, 1) }),
            ("split archive", { $0.set16(e + 4, 1); $0.set16(e + 6, 1) }),
            ("wrong directory signature", { $0.bytes[c] = 0 }),
            ("name running past the directory", { $0.set16(c + 28, 200) }),
            ("comment longer than the file", { $0.set16(e + 20, 10) }),
            ("local header inside the directory", { $0.set32(c + 42, d) }),
            ("end record signature gone", { $0.bytes[e] = 0 }),
        ]
        for (name, patch) in patches {
            var b = built
            patch(&b)
            #expect(Self.error(b) == Self.notZip, "\(name)")
        }
        // A copy of the directory in the comment, after the end record: what other readers see would differ.
        let copy = Array(built.bytes[built.directory..<built.end])
        var inComment = ZipBuilder.build([Item("a.xml", Self.sample(1000)), Item("b.xml", "b")], comment: copy)
        inComment.set32(inComment.end + 16, UInt32(inComment.end + 22))
        #expect(Self.error(inComment) == Self.notZip)
        // Found only when the entry is read: a local header that is not one, or data running into the directory.
        let entryPatches: [(String, (inout ZipBuilder.Built) -> Void)] = [
            ("local signature", { $0.bytes[$0.local[0]] = 0 }),
            ("local name length", { $0.set16($0.local[0] + 26, 2000) }),
            ("local extra length", { $0.set16($0.local[0] + 28, 0xFFFF) }),
            ("compressed size into the directory", { $0.set32($0.central[0] + 20, UInt32($0.directory)) }),
        ]
        for (name, patch) in entryPatches {
            var b = built
            patch(&b)
            #expect(Self.error(b) == ZipReader.damaged("a.xml"), "\(name)")
        }
    }

    @Test("an end record found behind a comment, and a comment that looks like an end record, both work")
    func comments() throws {
        let items = [Item("a.xml", "a")]
        #expect(try Self.contents(ZipBuilder.build(items, comment: Array("保存者：某工具".utf8)).data) == ["a.xml": [0x61]])
        // A fake end record inside the comment: its comment length does not fit the file, so the real one is used.
        let fake: [UInt8] = [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 16) + [0xFF, 0x00] + [0x20, 0x20]
        #expect(try Self.contents(ZipBuilder.build(items, comment: fake).data) == ["a.xml": [0x61]])
        let maximal = [UInt8](repeating: 0x20, count: 0xFFFF)
        #expect(try Self.contents(ZipBuilder.build(items, comment: maximal).data) == ["a.xml": [0x61]])
        #expect(Self.error(Data()) == Self.notZip)
        #expect(Self.error(Data([0x50, 0x4B, 0x05, 0x06])) == Self.notZip)
        #expect(try Self.contents(ZipBuilder.build([]).data).isEmpty)
    }

    @Test("random damage never hangs, crashes or escapes as another kind of error")
    func randomDamage() {
        let built = ZipBuilder.build([
            Item("a.xml", Self.sample(4000)), Item("b.xml", Self.sample(700), deflated: false),
            Item("c.xml", Self.sample(3000), descriptor: .signed),
        ])
        let others = Self.within(seconds: 60) {
            var random = XMLScannerTests.SplitMix(state: 11)
            var others: [String] = []
            for round in 0..<3000 {
                var bytes = built.bytes
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    // Aim half of the changes at the headers, where they do the most harm.
                    let headers = [built.local[0], built.local[1], built.local[2], built.directory, built.end]
                    let header = headers.randomElement(using: &random)! + Int.random(in: 0..<46, using: &random)
                    let anywhere = Int.random(in: 0..<bytes.count, using: &random)
                    let at = Bool.random(using: &random) ? min(bytes.count - 1, header) : anywhere
                    bytes[at] = UInt8.random(in: 0...255, using: &random)
                }
                // Success is fine when the damage missed (a name byte, a date); errors must be SpreadsheetErrors.
                if let failure = Self.failure(Data(bytes), bufferSize: round % 2 == 0 ? 7 : 65_536),
                   !(failure is SpreadsheetError) {
                    others.append("round \(round): \(failure)")
                }
            }
            return others
        }
        #expect(others == [])
    }

    @Test("QTI import refuses what is not a package with its own error, and hostile packages with the reader's")
    func qtiImport() throws {
        #expect(throws: SpreadsheetError(code: "not_qti", zh: "文件不是 QTI 压缩包", en: "not a QTI package")) {
            try QTIPackage.import(Data("PK not really".utf8))
        }
        let manifest = """
            <manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"><resources>\
            <resource identifier="I1" type="imsqti_item_xmlv3p0" href="items/I1.xml"/></resources></manifest>
            """
        // One part over 16 MB is refused before it is read (a wrong checksum would say "corrupt" if it were read).
        var bomb = Item("items/I1.xml", [UInt8](repeating: 0x20, count: 17 << 20))
        bomb.checksum = 0
        #expect(throws: ZipReader.tooLarge("items/I1.xml", maxBytes: 16 << 20)) {
            try QTIPackage.import(ZipBuilder.build([Item("imsmanifest.xml", manifest), bomb]).data)
        }
        // Parts that would decompress to more than 256 MB together are refused before any is read.
        let part = Item("x", [UInt8](repeating: 0x20, count: 16 << 20))
        let bombs = (0..<17).map { i in
            var item = part
            item.name = Array("items/I\(i).xml".utf8)
            return item
        }
        let start = ContinuousClock.now
        let error = #expect(throws: SpreadsheetError.self) {
            try QTIPackage.import(ZipBuilder.build([Item("imsmanifest.xml", manifest)] + bombs).data)
        }
        #expect(error?.code == "too_large" && error?.messageZH.contains("256 MB") == true)
        #expect(ContinuousClock.now - start < .seconds(1))
        var zip64 = ZipBuilder.build([Item("imsmanifest.xml", manifest)])
        zip64.set32(zip64.central[0] + 24, 0xFFFF_FFFF)
        #expect(throws: ZipReader.zip64) { try QTIPackage.import(zip64.data) }
    }
}

/// The result of a body run on another thread.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) {
        lock.lock()
        value = newValue
        lock.unlock()
    }

    func get() -> T? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
