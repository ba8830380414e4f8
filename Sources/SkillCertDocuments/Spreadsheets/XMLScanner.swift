import Foundation

/// What `XMLScanner` reports, in document order.
protocol XMLScanHandler {
    /// An element starts. `tag` points into the scanner's buffer and is valid only during the call.
    /// A self-closing element is followed at once by `end`.
    mutating func start(_ tag: XMLTag) throws
    /// An element ends.
    mutating func end(_ name: XMLName) throws
    /// Character data inside the root element, raw (entities not decoded); one run may arrive in several pieces.
    mutating func text(_ bytes: UnsafeRawBufferPointer) throws
    /// The content of a CDATA section, which is literal text.
    mutating func cdata(_ bytes: UnsafeRawBufferPointer) throws
}

/// A streaming, byte-level XML scanner for the UTF-8 parts of an .xlsx file.
///
/// Chunks of any size are pushed with `feed`; a tag cut by a chunk boundary is kept until its end arrives, text is
/// passed on as it comes. It checks what a reader of spreadsheet parts needs to trust: tags close in order, attribute
/// syntax, one root element, no stray `<`. It does not expand DTD entities or validate names beyond that, so a
/// hostile DOCTYPE costs nothing. Foundation's XMLParser was six times slower on a 10,000-row sheet and refused
/// the 16 MB sheet of 20,000 rows outright.
struct XMLScanner<Handler: XMLScanHandler> {
    var handler: Handler
    /// Thrown for anything malformed: the caller words it for the part being read.
    let invalid: SpreadsheetError
    /// The start of an unfinished tag, comment or CDATA section from the previous chunk.
    private var pending: [UInt8] = []
    /// How far into `pending` the search for the end of an end tag, comment, CDATA section or processing instruction
    /// has got, so that a long one is not searched again from its start with every chunk.
    private var searched = 0
    /// Hashes of the names of the open elements, to check that end tags match.
    private var open: [UInt64] = []
    private var sawRoot = false
    private var rootClosed = false
    private var sawMarkup = false

    /// A single tag, comment or CDATA section longer than this is refused rather than buffered without bound.
    static var maxToken: Int { 1 << 20 }

    init(handler: Handler, invalid: SpreadsheetError) {
        self.handler = handler
        self.invalid = invalid
    }

    /// Scans the next chunk of the document.
    mutating func feed(_ chunk: UnsafeRawBufferPointer) throws {
        var from = 0
        var rounds = 0
        // Finish the carried token with as few bytes of the chunk as it takes (up to a `>`), then scan the rest of the
        // chunk in place. A token holding many `>` (a comment, say) takes the rest of the chunk after a few rounds.
        while !pending.isEmpty && from < chunk.count {
            rounds += 1
            let gt = rounds > 4 ? nil : chunk[from...].firstIndex(of: Byte.gt)
            let end = gt.map { $0 + 1 } ?? chunk.count
            // Take the carried bytes out of `self` so the buffer can be read while `scan` mutates the scanner.
            var buffer: [UInt8] = []
            swap(&buffer, &pending)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[from..<end]))
            let used = try buffer.withUnsafeBytes { try scan($0, carried: true) }
            buffer.removeFirst(used)
            swap(&buffer, &pending)
            from = end
            if pending.count > Self.maxToken { throw invalid }
        }
        guard from < chunk.count else { return }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[from...])
        let used = try scan(rest, carried: false)
        if used < rest.count { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[used...])) }
        if pending.count > Self.maxToken { throw invalid }
    }

    /// Ends the document: an unfinished tag or an unclosed element is an error.
    mutating func finish() throws {
        guard pending.isEmpty, open.isEmpty, sawRoot else { throw invalid }
    }

    /// Scans as much of `buffer` as forms whole tokens; returns how many bytes were used. `carried` says that
    /// `buffer` starts with the token carried from the previous chunk.
    private mutating func scan(_ buffer: UnsafeRawBufferPointer, carried: Bool) throws -> Int {
        guard let raw = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = buffer.count
        var i = 0
        while i < n {
            if p[i] != Byte.lt {
                let j = Self.find(Byte.lt, p, from: i, to: n) ?? n
                try text(UnsafeRawBufferPointer(start: p + i, count: j - i))
                i = j
                continue
            }
            guard i + 1 < n else {
                searched = 0
                return i
            }
            let kind = p[i + 1]
            if kind == Byte.slash || kind == Byte.question || kind == Byte.bang {
                let resume = carried && i == 0 ? searched : 0
                guard let end = try markupEnd(p, at: i, count: n, resume: resume) else {
                    // Everything but the last two bytes (a terminator may be cut) is known not to end the token.
                    searched = max(0, n - i - 2)
                    return i
                }
                searched = 0
                try markup(p, from: i, to: end)
                i = end
            } else {
                guard let end = try startTag(p, at: i, count: n) else {
                    searched = 0
                    return i
                }
                i = end
            }
        }
        return n
    }

    private mutating func text(_ bytes: UnsafeRawBufferPointer) throws {
        if !open.isEmpty {
            try handler.text(bytes)
            return
        }
        // Outside the root only whitespace may appear, and a byte-order mark before anything else.
        for b in bytes {
            switch b {
            case Byte.space, Byte.tab, Byte.lf, Byte.cr: continue
            case 0xEF, 0xBB, 0xBF:
                if sawMarkup { throw invalid }
            default: throw invalid
            }
        }
    }

    /// The index just after the end tag, comment, CDATA section, processing instruction or declaration that starts
    /// at `i`, or nil when it is not complete yet. The first `resume` bytes are known not to hold its end.
    private func markupEnd(_ p: UnsafePointer<UInt8>, at i: Int, count n: Int, resume: Int) throws -> Int? {
        switch p[i + 1] {
        case Byte.slash:
            return Self.find(Byte.gt, p, from: i + max(2, resume), to: n).map { $0 + 1 }
        case Byte.question:
            return Self.find(terminator: "?>", p, from: i + 2, resume: i + resume, to: n)
        default:
            switch Self.prefix(p, at: i, count: n) {
            case .incomplete: return nil
            case .comment: return Self.find(terminator: "-->", p, from: i + 4, resume: i + resume, to: n)
            case .cdata: return Self.find(terminator: "]]>", p, from: i + 9, resume: i + resume, to: n)
            case .declaration: return try declarationEnd(p, at: i, count: n)
            }
        }
    }

    /// `<!DOCTYPE …>` may hold an internal subset in brackets with `>` inside; it is skipped, never interpreted.
    private func declarationEnd(_ p: UnsafePointer<UInt8>, at i: Int, count n: Int) throws -> Int? {
        var depth = 0
        var quote: UInt8 = 0
        var j = i + 2
        while j < n {
            let b = p[j]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == Byte.quote || b == Byte.apostrophe {
                quote = b
            } else if b == Byte.openBracket {
                depth += 1
            } else if b == Byte.closeBracket {
                depth -= 1
            } else if b == Byte.gt && depth <= 0 {
                return j + 1
            }
            j += 1
        }
        return nil
    }

    private mutating func markup(_ p: UnsafePointer<UInt8>, from i: Int, to end: Int) throws {
        sawMarkup = true
        switch p[i + 1] {
        case Byte.slash:
            var nameEnd = end - 1
            while nameEnd > i + 2 && Byte.isSpace(p[nameEnd - 1]) { nameEnd -= 1 }
            let name = try self.name(p, from: i + 2, to: nameEnd)
            guard nameEnd > i + 2, let top = open.popLast(), top == Self.hash(p, from: i + 2, to: nameEnd) else {
                throw invalid
            }
            if open.isEmpty { rootClosed = true }
            try handler.end(name)
        case Byte.question:
            return
        default:
            guard case .cdata = Self.prefix(p, at: i, count: end) else { return }
            guard !open.isEmpty else { throw invalid }
            try handler.cdata(UnsafeRawBufferPointer(start: p + i + 9, count: end - 3 - (i + 9)))
        }
    }

    /// Reads the start tag at `i` in one pass, checking its attribute syntax, and reports it; returns the index just
    /// after it, or nil when it is not complete yet.
    private mutating func startTag(_ p: UnsafePointer<UInt8>, at i: Int, count n: Int) throws -> Int? {
        var k = i + 1
        while k < n {
            let b = p[k]
            if Byte.isSpace(b) || b == Byte.slash || b == Byte.gt { break }
            k += 1
        }
        guard k < n else { return nil }
        let nameEnd = k
        let name = try self.name(p, from: i + 1, to: nameEnd)
        let end: Int
        let selfClosing: Bool
        while true {
            let gap = k
            while k < n && Byte.isSpace(p[k]) { k += 1 }
            guard k < n else { return nil }
            let b = p[k]
            if b == Byte.gt {
                (end, selfClosing) = (k + 1, false)
                break
            }
            if b == Byte.slash {
                guard k + 1 < n else { return nil }
                guard p[k + 1] == Byte.gt else { throw invalid }
                (end, selfClosing) = (k + 2, true)
                break
            }
            // `name = "value"` or `name='value'`, separated from what comes before by whitespace.
            guard k > gap else { throw invalid }
            let attributeStart = k
            while k < n {
                let c = p[k]
                if c == Byte.equals || Byte.isSpace(c) { break }
                if c == Byte.quote || c == Byte.apostrophe || c == Byte.lt || c == Byte.gt || c == Byte.slash { throw invalid }
                k += 1
            }
            guard k > attributeStart else { throw invalid }
            while k < n && Byte.isSpace(p[k]) { k += 1 }
            guard k < n else { return nil }
            guard p[k] == Byte.equals else { throw invalid }
            k += 1
            while k < n && Byte.isSpace(p[k]) { k += 1 }
            guard k < n else { return nil }
            let quote = p[k]
            guard quote == Byte.quote || quote == Byte.apostrophe else { throw invalid }
            guard let close = Self.find(quote, p, from: k + 1, to: n) else { return nil }
            if Self.find(Byte.lt, p, from: k + 1, to: close) != nil { throw invalid }
            k = close + 1
        }
        guard !rootClosed else { throw invalid }
        sawMarkup = true
        sawRoot = true
        if !selfClosing { open.append(Self.hash(p, from: i + 1, to: nameEnd)) }
        try handler.start(XMLTag(base: p, localName: name, attributes: nameEnd..<(selfClosing ? end - 2 : end - 1),
                                 selfClosing: selfClosing))
        if selfClosing {
            if open.isEmpty { rootClosed = true }
            try handler.end(name)
        }
        return end
    }

    /// The local part of a qualified name (`x:row` → `row`); an empty name is malformed.
    private func name(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) throws -> XMLName {
        guard end > start else { throw invalid }
        var local = start
        for k in start..<end {
            let b = p[k]
            if Byte.isSpace(b) || b == Byte.lt || b == Byte.gt || b == Byte.equals || b == Byte.quote { throw invalid }
            if b == Byte.colon { local = k + 1 }
        }
        guard local < end else { throw invalid }
        return XMLName(start: p + local, count: end - local)
    }

    private enum Declaration { case incomplete, comment, cdata, declaration }

    /// What kind of `<!` token starts at `i`; `.incomplete` when too few bytes have arrived to tell.
    private static func prefix(_ p: UnsafePointer<UInt8>, at i: Int, count n: Int) -> Declaration {
        func matches(_ s: StaticString) -> Bool? {
            let m = s.utf8CodeUnitCount
            let available = min(m, n - i)
            guard memcmp(p + i, s.utf8Start, available) == 0 else { return false }
            return available == m ? true : nil
        }
        switch (matches("<!--"), matches("<![CDATA[")) {
        case (true, _): return .comment
        case (_, true): return .cdata
        case (nil, _), (_, nil): return .incomplete
        default: return .declaration
        }
    }

    private static func find(_ byte: UInt8, _ p: UnsafePointer<UInt8>, from i: Int, to n: Int) -> Int? {
        guard i < n, let hit = memchr(p + i, Int32(byte), n - i) else { return nil }
        return hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: p)
    }

    /// The index just after `terminator` (which ends in `>`) when it starts at `i` or later, looking for its `>`
    /// from `resume` on.
    private static func find(terminator: StaticString, _ p: UnsafePointer<UInt8>, from i: Int, resume: Int, to n: Int) -> Int? {
        let m = terminator.utf8CodeUnitCount
        var from = max(i, resume)
        while let gt = find(Byte.gt, p, from: from, to: n) {
            if gt + 1 - m >= i, memcmp(p + gt + 1 - m, terminator.utf8Start, m) == 0 { return gt + 1 }
            from = gt + 1
        }
        return nil
    }

    /// FNV-1a of a qualified name; end tags are matched by hash, which is enough to catch malformed parts.
    private static func hash(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in start..<end { h = (h ^ UInt64(p[k])) &* 0x100_0000_01b3 }
        return h
    }
}

/// The local name of an element, pointing into the scanner's buffer.
struct XMLName {
    let start: UnsafePointer<UInt8>
    let count: Int

    /// Whether the name is exactly `s`.
    @inline(__always)
    func `is`(_ s: StaticString) -> Bool {
        s.utf8CodeUnitCount == count && memcmp(start, s.utf8Start, count) == 0
    }
}

/// A start tag, pointing into the scanner's buffer.
struct XMLTag {
    let base: UnsafePointer<UInt8>
    let localName: XMLName
    /// Where the attributes are written, after the name.
    let attributes: Range<Int>
    let selfClosing: Bool

    struct Span {
        var name: Range<Int>
        var value: Range<Int>
        var next: Int
    }

    enum Step {
        case end
        case malformed
        case found(Span)
    }

    /// The raw (undecoded) value of the attribute with this exact qualified name.
    func raw(_ name: StaticString) -> UnsafeRawBufferPointer? {
        var at = attributes.lowerBound
        while case .found(let span) = Self.attribute(base, from: at, to: attributes.upperBound) {
            if span.name.count == name.utf8CodeUnitCount, memcmp(base + span.name.lowerBound, name.utf8Start, span.name.count) == 0 {
                return UnsafeRawBufferPointer(start: base + span.value.lowerBound, count: span.value.count)
            }
            at = span.next
        }
        return nil
    }

    /// All attributes, qualified name → decoded value; nil when a value holds a bad entity.
    func all() -> [String: String]? {
        var out: [String: String] = [:]
        var at = attributes.lowerBound
        while case .found(let span) = Self.attribute(base, from: at, to: attributes.upperBound) {
            let name = String(decoding: UnsafeBufferPointer(start: base + span.name.lowerBound, count: span.name.count), as: UTF8.self)
            guard let value = XMLText.decode(UnsafeRawBufferPointer(start: base + span.value.lowerBound, count: span.value.count)) else {
                return nil
            }
            out[name] = value
            at = span.next
        }
        return out
    }

    /// The attribute written from `i`: `name = "value"` or `name='value'`, followed by whitespace or the tag's end.
    static func attribute(_ p: UnsafePointer<UInt8>, from i: Int, to end: Int) -> Step {
        var k = i
        while k < end && Byte.isSpace(p[k]) { k += 1 }
        if k == end { return .end }
        // Attributes are separated from the name and from each other by whitespace.
        guard k > i else { return .malformed }
        let nameStart = k
        while k < end, p[k] != Byte.equals, !Byte.isSpace(p[k]) {
            let b = p[k]
            if b == Byte.quote || b == Byte.apostrophe || b == Byte.slash || b == Byte.lt { return .malformed }
            k += 1
        }
        let nameEnd = k
        guard nameEnd > nameStart else { return .malformed }
        while k < end && Byte.isSpace(p[k]) { k += 1 }
        guard k < end, p[k] == Byte.equals else { return .malformed }
        k += 1
        while k < end && Byte.isSpace(p[k]) { k += 1 }
        guard k < end, p[k] == Byte.quote || p[k] == Byte.apostrophe else { return .malformed }
        let quote = p[k]
        let valueStart = k + 1
        k = valueStart
        while k < end && p[k] != quote { k += 1 }
        guard k < end else { return .malformed }
        return .found(Span(name: nameStart..<nameEnd, value: valueStart..<k, next: k + 1))
    }
}

/// Character data collected from several pieces, decoded once at the end of the element.
struct XMLText {
    private(set) var bytes: [UInt8] = []

    var isEmpty: Bool { bytes.isEmpty }

    mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// CDATA is literal: its `&` is escaped so that `decode` gives it back unchanged.
    mutating func appendLiteral(_ raw: UnsafeRawBufferPointer) {
        for b in raw {
            if b == Byte.amp { bytes.append(contentsOf: [Byte.amp, 0x61, 0x6D, 0x70, Byte.semicolon]) } else { bytes.append(b) }
        }
    }

    /// The text with entities decoded; nil for an unknown or malformed entity.
    func string() -> String? {
        bytes.withUnsafeBytes { Self.decode($0) }
    }

    /// Decodes the five predefined entities and character references, and turns CRLF and CR into LF as XML does.
    static func decode(_ src: UnsafeRawBufferPointer) -> String? {
        guard src.contains(where: { $0 == Byte.amp || $0 == Byte.cr }) else { return String(decoding: src, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(src.count)
        let n = src.count
        var i = 0
        while i < n {
            let b = src[i]
            if b == Byte.cr {
                out.append(Byte.lf)
                i += 1
                if i < n && src[i] == Byte.lf { i += 1 }
                continue
            }
            guard b == Byte.amp else {
                out.append(b)
                i += 1
                continue
            }
            var j = i + 1
            while j < n && j - i <= 10 && src[j] != Byte.semicolon { j += 1 }
            guard j < n, src[j] == Byte.semicolon else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: src[(i + 1)..<j])
            switch Array(name) {
            case Array("amp".utf8): out.append(Byte.amp)
            case Array("lt".utf8): out.append(Byte.lt)
            case Array("gt".utf8): out.append(Byte.gt)
            case Array("quot".utf8): out.append(Byte.quote)
            case Array("apos".utf8): out.append(Byte.apostrophe)
            default:
                guard let scalar = characterReference(name) else { return nil }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            i = j + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `#65` or `#x41`, as an XML character.
    private static func characterReference(_ name: UnsafeRawBufferPointer) -> Unicode.Scalar? {
        guard name.count >= 2, name[0] == 0x23 else { return nil }
        let hex = name[1] == 0x78
        let digits = name.dropFirst(hex ? 2 : 1)
        guard !digits.isEmpty, let value = UInt32(String(decoding: digits, as: UTF8.self), radix: hex ? 16 : 10),
              let scalar = Unicode.Scalar(value) else { return nil }
        // XML 1.0 allows tab, LF, CR and everything from space up, except U+FFFE and U+FFFF.
        let allowed = value == 0x9 || value == 0xA || value == 0xD || (value >= 0x20 && value != 0xFFFE && value != 0xFFFF)
        return allowed ? scalar : nil
    }
}

/// The bytes the scanners look for.
enum Byte {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let bang: UInt8 = 0x21
    static let quote: UInt8 = 0x22
    static let amp: UInt8 = 0x26
    static let apostrophe: UInt8 = 0x27
    static let comma: UInt8 = 0x2C
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let lt: UInt8 = 0x3C
    static let equals: UInt8 = 0x3D
    static let gt: UInt8 = 0x3E
    static let question: UInt8 = 0x3F
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == space || b == lf || b == cr || b == tab }
}
