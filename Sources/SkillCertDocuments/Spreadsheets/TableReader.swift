import Foundation

/// The kind of table file an upload turned out to be.
public enum TableFormat: String, Sendable {
    case xlsx, csv
}

/// What `TableReader` found out about a file while reading it.
public struct TableFileInfo: Sendable {
    public var format: TableFormat
    /// `UTF-8` or `GB18030` for CSV (GB18030 includes GBK), `xlsx` for workbooks.
    public var encoding: String

    public init(format: TableFormat, encoding: String) {
        self.format = format
        self.encoding = encoding
    }
}

/// Reads uploaded registration tables, .xlsx or CSV, row by row without holding the file or the sheet in memory.
public enum TableReader {
    /// Reads the file at `url` row by row, calling `body(rowNumber, cells)` for each row with a non-empty cell.
    ///
    /// `rowNumber` is the 1-based row as a spreadsheet program shows it (for CSV: the record number, so a quoted field
    /// over several lines is one row). `cells` maps zero-based columns to the cell text, untrimmed; empty cells are
    /// left out. The format is told by content, not by file name: a ZIP file is read as a workbook, anything else
    /// as CSV text in UTF-8 (with or without BOM) or GB18030/GBK.
    ///
    /// Errors are `SpreadsheetError`, except what `body` throws, which passes through. Some refusals (merged cells,
    /// listed after the cell data; a damaged or undecodable part late in the file) come after rows were delivered:
    /// a thrown error invalidates the whole import, so callers must not keep rows from a read that threw.
    @discardableResult
    public static func rows(fileAt url: URL, _ body: (Int, [Int: String]) throws -> Void) throws -> TableFileInfo {
        try rows(fileAt: url, bufferSize: 64 * 1024, body)
    }

    /// As `rows(fileAt:_:)`, reading and decompressing in pieces of `bufferSize` bytes (tests use tiny ones).
    static func rows(fileAt url: URL, bufferSize: Int, _ body: (Int, [Int: String]) throws -> Void) throws -> TableFileInfo {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch { throw CSVReader.unreadable }
        defer { try? handle.close() }
        let first: Data
        do { first = try handle.read(upToCount: CSVReader.sniffSize) ?? Data() } catch { throw CSVReader.unreadable }
        guard !first.isEmpty else { throw CSVReader.emptyFile }
        if first.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let archive = try ZipReader(fileAt: url, notZip: XLSXReader.damaged)
            try XLSXReader.scanFirstSheet(in: archive, bufferSize: bufferSize, body)
            return TableFileInfo(format: .xlsx, encoding: "xlsx")
        }
        let encoding = try CSVReader.read(handle, first: first, bufferSize: bufferSize, body)
        return TableFileInfo(format: .csv, encoding: encoding)
    }
}
