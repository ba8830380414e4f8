/// Alphabetic labels: 0 → A, 25 → Z, 26 → AA (spreadsheet columns, parallel forms, choice options).
public func alphabeticLabel(_ index: Int) -> String {
    var n = index + 1
    var s = ""
    while n > 0 {
        s = String(UnicodeScalar(UInt8(65 + (n - 1) % 26))) + s
        n = (n - 1) / 26
    }
    return s
}
