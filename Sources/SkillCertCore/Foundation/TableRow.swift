import Foundation

/// One row of an uploaded table: its number in the file and its cells by zero-based column.
public struct TableRow: Sendable {
    public var number: Int
    public var cells: [Int: String]

    public init(number: Int, cells: [Int: String]) {
        self.number = number
        self.cells = cells
    }
}
