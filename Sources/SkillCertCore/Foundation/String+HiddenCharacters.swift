extension String {
    /// True when the text holds control characters other than tab and line breaks, or bidirectional embedding,
    /// override and isolate marks: invisible in a page, they ring terminals or reorder a name on screen (#11).
    public var containsHiddenControls: Bool {
        unicodeScalars.contains { s in
            switch s.value {
            case 0x09, 0x0A, 0x0D: false
            case 0x00...0x1F, 0x7F...0x9F: true
            case 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }
    }
}
