import CPangoCairo
import Foundation
import SkillCertCore

/// Horizontal placement of a block within the text width.
public enum PDFAlignment: Sendable {
    case left, center, right
}

/// Vertical placement of text within a box.
public enum PDFVerticalAlignment: Sendable {
    case top, center, bottom
}

/// A rectangle on the page in points, measured from the page's top-left corner.
public struct PDFRect: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Double { x + width }
    public var maxY: Double { y + height }

    /// The rectangle shrunk by `amount` on every side (never below zero size).
    public func insetBy(_ amount: Double) -> PDFRect {
        PDFRect(x: x + amount, y: y + amount, width: max(0, width - 2 * amount), height: max(0, height - 2 * amount))
    }
}

/// An image to place on a page: PNG or JPEG bytes as uploaded.
public struct PDFImage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case png, jpeg
    }

    public var bytes: [UInt8]
    public var kind: Kind

    public init(bytes: [UInt8], kind: Kind) {
        self.bytes = bytes
        self.kind = kind
    }
}

/// Why a PDF could not be produced.
public enum PDFError: Error, Sendable, Equatable {
    /// The bytes given to `png(_:width:align:)` are not a PNG cairo can decode (cairo's status text).
    case invalidPNG(String)
    /// The bytes given as a JPEG have no readable frame header, or a size cairo cannot hold.
    case invalidJPEG(String)
    /// An admission ticket could not be drawn: its photo is unreadable or its number cannot go in a QR code.
    case invalidTicket(ticketNumber: String, reason: String)
    /// cairo reported an error while drawing or writing the document (cairo's status text).
    case cairo(String)
    /// `finish()` was called twice.
    case alreadyFinished
}

// Not Sendable: it owns a mutable cairo context and page cursor; use one builder from one task.
/// Builds an A4 PDF top to bottom with pango (text layout, CJK line breaking) on cairo (PDF surface).
/// Fonts are embedded as subsets by cairo; the bytes are written to memory, never to a temp file.
public final class PDFBuilder {
    public static let a4 = (width: 595.276, height: 841.89)   // points

    private let margin: Double
    private let fontFamily: String
    private let footer: String?
    private let pageWidth = PDFBuilder.a4.width
    private let pageHeight = PDFBuilder.a4.height

    private let sink = ByteSink()
    private let surface: OpaquePointer   // cairo_surface_t *
    private let cr: OpaquePointer        // cairo_t *
    private var cursorY: Double
    private var completedPages = 0
    private var pageHasContent = false   // anything drawn on the current page (the footer does not count)
    private var finished = false
    /// One pango context for every layout (a context per layout re-resolved the fonts each time), and the layouts
    /// of texts drawn before: a batch of certificates repeats its labels on every page.
    private var pangoContext: OpaquePointer?
    private var layouts: [LayoutKey: OpaquePointer] = [:]

    private struct LayoutKey: Hashable {
        var text: String
        var size: Double
        var bold: Bool
        var align: PDFAlignment
        var width: Double
        var ellipsize: Bool
    }

    public init(margin: Double = 56, fontFamily: String = "Noto Sans CJK SC", footer: String? = nil) {
        self.margin = margin
        self.fontFamily = fontFamily
        self.footer = footer
        self.cursorY = margin
        // The sink is owned by `self` and outlives the surface (destroyed in `deinit` before the
        // sink is released), so an unretained pointer is sound and nothing is leaked.
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        // cairo never returns NULL here: on failure it returns an "error surface" whose status we check in finish().
        surface = cairo_pdf_surface_create_for_stream({ closure, data, length in
            guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
            let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
            if let data, length > 0 {
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            }
            return CAIRO_STATUS_SUCCESS
        }, closure, PDFBuilder.a4.width, PDFBuilder.a4.height)
        cr = cairo_create(surface)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "SkillCert")
    }

    deinit {
        for layout in layouts.values { g_object_unref(UnsafeMutableRawPointer(layout)) }
        if let pangoContext { g_object_unref(UnsafeMutableRawPointer(pangoContext)) }
        cairo_destroy(cr)
        // Destroying an unfinished surface finishes it (writing into `sink`, still alive here).
        cairo_surface_destroy(surface)
    }

    /// Pages so far: the finished ones plus the current one once something is drawn on it
    /// (a document always has at least one page). Equals the page count of `finish()`'s PDF.
    public var pageCount: Int { completedPages + (pageHasContent || completedPages == 0 ? 1 : 0) }

    private var textWidth: Double { pageWidth - 2 * margin }
    private var bottomLimit: Double { pageHeight - margin }
    private var atPageTop: Bool { cursorY <= margin }

    // MARK: - Content

    /// Flowing text, wrapped to the page width (Pango), starting a new page when it does not fit.
    /// Lines are placed one by one, so a long paragraph continues on the next page.
    public func text(_ s: String, size: Double = 11, bold: Bool = false, align: PDFAlignment = .left, spacingAfter: Double = 4) {
        guard !finished, let layout = makeLayout(s, size: size, bold: bold, align: align, width: textWidth) else { return }
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        guard let iter = pango_layout_get_iter(layout) else { return }
        defer { pango_layout_iter_free(iter) }
        let scale = Double(PANGO_SCALE)
        repeat {
            var logical = PangoRectangle()
            pango_layout_iter_get_line_extents(iter, nil, &logical)
            let lineHeight = Double(logical.height) / scale
            let baseline = Double(pango_layout_iter_get_baseline(iter) - logical.y) / scale
            ensureRoom(lineHeight)
            if let line = pango_layout_iter_get_line_readonly(iter) {
                cairo_move_to(cr, margin + Double(logical.x) / scale, cursorY + baseline)
                pango_cairo_show_layout_line(cr, line)
                pageHasContent = true
            }
            cursorY += lineHeight
        } while pango_layout_iter_next_line(iter) != 0
        advance(spacingAfter)
    }

    public func spacer(_ height: Double) {
        guard !finished else { return }
        advance(height)
    }

    /// A thin horizontal line across the text width.
    public func rule() {
        guard !finished else { return }
        let padding = 4.0
        ensureRoom(2 * padding)
        let y = cursorY + padding
        cairo_save(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_set_line_width(cr, 0.5)
        cairo_move_to(cr, margin, y)
        cairo_line_to(cr, margin + textWidth, y)
        cairo_stroke(cr)
        cairo_restore(cr)
        pageHasContent = true
        cursorY += 2 * padding
    }

    /// Ends the current page. Does nothing while the current page is still empty, so consecutive or
    /// trailing breaks (e.g. one after every section) never produce blank pages.
    public func pageBreak() {
        guard !finished, pageHasContent else { return }
        endPage()
    }

    /// A grid of numbered answer boxes for an answer sheet: `count` cells, `columns` per row,
    /// each labelled with its number (followed by `boxLabel`, e.g. "." → "1.") and an empty box.
    /// Rows that do not fit start a new page.
    public func answerGrid(count: Int, columns: Int, boxLabel: String = "") {
        guard !finished, count > 0 else { return }
        let columns = max(1, columns)
        let cellWidth = textWidth / Double(columns)
        let rowHeight = 26.0
        let boxHeight = 18.0
        let labelWidth = min(32.0, cellWidth * 0.4)
        let boxWidth = max(8, cellWidth - labelWidth - 8)
        let fontSize = 10.0
        let rows = (count + columns - 1) / columns
        for row in 0..<rows {
            ensureRoom(rowHeight)
            let top = cursorY + (rowHeight - boxHeight) / 2
            for column in 0..<columns {
                let number = row * columns + column + 1
                guard number <= count else { break }
                let x = margin + Double(column) * cellWidth
                if let layout = makeLayout("\(number)\(boxLabel)", size: fontSize, bold: false, align: .right, width: labelWidth - 4) {
                    var logical = PangoRectangle()
                    pango_layout_get_extents(layout, nil, &logical)
                    let h = Double(logical.height) / Double(PANGO_SCALE)
                    cairo_move_to(cr, x, top + (boxHeight - h) / 2)
                    pango_cairo_show_layout(cr, layout)
                    g_object_unref(UnsafeMutableRawPointer(layout))
                }
                cairo_save(cr)
                cairo_set_source_rgb(cr, 0, 0, 0)
                cairo_set_line_width(cr, 0.6)
                cairo_rectangle(cr, x + labelWidth, top, boxWidth, boxHeight)
                cairo_stroke(cr)
                cairo_restore(cr)
            }
            pageHasContent = true
            cursorY += rowHeight
        }
    }

    /// A PNG image (bytes) drawn at the given width (height keeps the aspect ratio), at the current position.
    public func png(_ data: [UInt8], width: Double, align: PDFAlignment = .left) throws {
        guard !finished else { throw PDFError.alreadyFinished }
        let image = try pngSurface(data)
        defer { cairo_surface_destroy(image) }
        let pixelWidth = Double(cairo_image_surface_get_width(image))
        let pixelHeight = Double(cairo_image_surface_get_height(image))
        guard width > 0 else { throw PDFError.invalidPNG("empty image") }
        let factor = width / pixelWidth
        let height = pixelHeight * factor
        ensureRoom(height)
        cairo_save(cr)
        cairo_translate(cr, x(for: width, align: align), cursorY)
        cairo_scale(cr, factor, factor)
        cairo_set_source_surface(cr, image, 0, 0)
        cairo_paint(cr)
        cairo_restore(cr)
        pageHasContent = true
        cursorY += height
    }

    /// Draws a square QR-like module matrix (true = dark) of the given side length at the current position.
    /// Rows may differ in length; the grid is as wide as the longest row.
    public func modules(_ matrix: [[Bool]], side: Double, align: PDFAlignment = .left) {
        guard !finished, side > 0 else { return }
        let rowCount = matrix.count
        let columnCount = matrix.map(\.count).max() ?? 0
        guard rowCount > 0, columnCount > 0 else { return }
        let cell = side / Double(max(rowCount, columnCount))
        ensureRoom(side)
        let left = x(for: side, align: align)
        cairo_save(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        for (r, row) in matrix.enumerated() {
            for (c, dark) in row.enumerated() where dark {
                cairo_rectangle(cr, left + Double(c) * cell, cursorY + Double(r) * cell, cell, cell)
            }
        }
        // Winding rule fills the union of the abutting squares without seams from antialiasing.
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING)
        cairo_fill(cr)
        cairo_restore(cr)
        pageHasContent = true
        cursorY += side
    }

    /// A ruled table: a bold header row, then one row per entry; `widths` are fractions of the text width. Cells are
    /// one line (longer text is cut with an ellipsis); rows that do not fit start a new page, repeating the header.
    public func table(header: [String], widths: [Double], rows: [[String]], rowHeight: Double = 20, size: Double = 10) {
        guard !finished, !header.isEmpty, widths.count == header.count else { return }
        let total = widths.reduce(0, +)
        let columnWidths = widths.map { textWidth * $0 / max(total, 0.0001) }
        func drawRow(_ cells: [String], bold: Bool) {
            var x = margin
            cairo_save(cr)
            cairo_set_source_rgb(cr, 0, 0, 0)
            cairo_set_line_width(cr, 0.5)
            for (i, w) in columnWidths.enumerated() {
                cairo_rectangle(cr, x, cursorY, w, rowHeight)
                cairo_stroke(cr)
                if let layout = makeLayout(i < cells.count ? cells[i] : "", size: size, bold: bold, align: .left, width: w - 6, ellipsize: true) {
                    var logical = PangoRectangle()
                    pango_layout_get_extents(layout, nil, &logical)
                    let h = Double(logical.height) / Double(PANGO_SCALE)
                    cairo_move_to(cr, x + 3, cursorY + (rowHeight - h) / 2)
                    pango_cairo_show_layout(cr, layout)
                    g_object_unref(UnsafeMutableRawPointer(layout))
                }
                x += w
            }
            cairo_restore(cr)
            pageHasContent = true
            cursorY += rowHeight
        }
        ensureRoom(rowHeight * 2)
        drawRow(header, bold: true)
        for row in rows {
            if cursorY + rowHeight > bottomLimit {
                endPage()
                drawRow(header, bold: true)
            }
            drawRow(row, bold: false)
        }
    }

    // MARK: - Boxes at fixed positions

    /// Reserves a block `height` tall across the text width at the cursor (starting a new page first when it
    /// does not fit) and moves the cursor below it. Draw into the returned rectangle with the `in:` methods.
    public func reserve(_ height: Double) -> PDFRect {
        let height = max(0, height)
        guard !finished else { return PDFRect(x: margin, y: cursorY, width: textWidth, height: height) }
        ensureRoom(height)
        let block = PDFRect(x: margin, y: cursorY, width: textWidth, height: height)
        pageHasContent = true
        cursorY += height
        return block
    }

    /// The width between the margins, which `reserve(_:)` blocks span.
    public var contentWidth: Double { textWidth }

    /// Height of `s` wrapped to `width`, as `text(_:in:…)` lays it out.
    public func textHeight(_ s: String, width: Double, size: Double = 11, bold: Bool = false) -> Double {
        guard let layout = makeLayout(s, size: size, bold: bold, align: .left, width: width) else { return 0 }
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        return Double(logical.height) / Double(PANGO_SCALE)
    }

    /// Text wrapped to the box's width and clipped to the box.
    public func text(_ s: String, in box: PDFRect, size: Double = 11, bold: Bool = false,
                     align: PDFAlignment = .left, verticalAlign: PDFVerticalAlignment = .center) {
        guard !finished, box.width > 0, box.height > 0,
              let layout = makeLayout(s, size: size, bold: bold, align: align, width: box.width) else { return }
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        let height = Double(logical.height) / Double(PANGO_SCALE)
        let top = switch verticalAlign {
        case .top: box.y
        case .center: box.y + (box.height - height) / 2
        case .bottom: box.maxY - height
        }
        cairo_save(cr)
        cairo_rectangle(cr, box.x, box.y, box.width, box.height)
        cairo_clip(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_move_to(cr, box.x, top)
        pango_cairo_show_layout(cr, layout)
        cairo_restore(cr)
        pageHasContent = true
    }

    /// The outline of a box.
    public func stroke(_ box: PDFRect, lineWidth: Double = 0.6) {
        guard !finished else { return }
        cairo_save(cr)
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, box.x, box.y, box.width, box.height)
        cairo_stroke(cr)
        cairo_restore(cr)
        pageHasContent = true
    }

    /// A box filled with a grey (0 black … 1 white).
    public func fill(_ box: PDFRect, gray: Double) {
        guard !finished else { return }
        cairo_save(cr)
        cairo_set_source_rgb(cr, gray, gray, gray)
        cairo_rectangle(cr, box.x, box.y, box.width, box.height)
        cairo_fill(cr)
        cairo_restore(cr)
        pageHasContent = true
    }

    /// A PNG or JPEG scaled to fit the box (aspect ratio kept) and centred in it. A JPEG is embedded as is
    /// (DCTDecode), not decoded and recompressed.
    public func image(_ image: PDFImage, in box: PDFRect) throws {
        guard !finished else { throw PDFError.alreadyFinished }
        let surface = switch image.kind {
        case .png: try pngSurface(image.bytes)
        case .jpeg: try jpegSurface(image.bytes)
        }
        defer { cairo_surface_destroy(surface) }
        let pixelWidth = Double(cairo_image_surface_get_width(surface))
        let pixelHeight = Double(cairo_image_surface_get_height(surface))
        let factor = min(box.width / pixelWidth, box.height / pixelHeight)
        guard factor > 0 else { return }
        cairo_save(cr)
        cairo_translate(cr, box.x + (box.width - pixelWidth * factor) / 2, box.y + (box.height - pixelHeight * factor) / 2)
        cairo_scale(cr, factor, factor)
        cairo_set_source_surface(cr, surface, 0, 0)
        cairo_paint(cr)
        cairo_restore(cr)
        pageHasContent = true
    }

    /// A QR code filling the largest square in the box, with a white quiet zone of `quietZone` modules on every
    /// side inside that square (the standard asks for 4), painted white so nothing beneath shows through.
    public func qrCode(_ matrix: QRMatrix, in box: PDFRect, quietZone: Int = 4) {
        guard !finished else { return }
        let side = min(box.width, box.height)
        let quiet = max(0, quietZone)
        let cell = side / Double(matrix.size + 2 * quiet)
        guard cell > 0 else { return }
        let left = box.x + (box.width - side) / 2
        let top = box.y + (box.height - side) / 2
        // One pixel per module, quiet zone included, drawn as an image scaled without smoothing: a few hundred
        // bytes in the PDF, where a rectangle per dark module cost more than the rest of a certificate page.
        let pixels = matrix.size + 2 * quiet
        guard let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(pixels), Int32(pixels)) else { return }
        defer { cairo_surface_destroy(image) }
        guard cairo_surface_status(image) == CAIRO_STATUS_SUCCESS, let data = cairo_image_surface_get_data(image) else { return }
        let stride = Int(cairo_image_surface_get_stride(image))
        cairo_surface_flush(image)
        for y in 0..<pixels {
            let row = UnsafeMutableRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<pixels {
                let (r, c) = (y - quiet, x - quiet)
                let dark = r >= 0 && c >= 0 && r < matrix.size && c < matrix.size && matrix[r, c]
                row[x] = dark ? 0x0000_0000 : 0x00FF_FFFF
            }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(cr)
        cairo_translate(cr, left, top)
        cairo_scale(cr, cell, cell)
        cairo_set_source_surface(cr, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
        pageHasContent = true
    }

    /// Finishes the document and returns the PDF bytes.
    public func finish() throws -> [UInt8] {
        guard !finished else { throw PDFError.alreadyFinished }
        // An empty page after a break is dropped: cairo does not emit a clear page on finish
        // (except the very first, so an empty document still has one page).
        if pageHasContent || completedPages == 0 { endPage() }
        finished = true
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else { throw PDFError.cairo(statusText(status)) }
        let contextStatus = cairo_status(cr)
        guard contextStatus == CAIRO_STATUS_SUCCESS || contextStatus == CAIRO_STATUS_SURFACE_FINISHED else {
            throw PDFError.cairo(statusText(contextStatus))
        }
        return sink.bytes
    }

    // MARK: - Internals

    /// Starts a new page unless `height` fits below the cursor (or the page is still empty).
    private func ensureRoom(_ height: Double) {
        if cursorY + height > bottomLimit && !atPageTop { endPage() }
    }

    /// Moves the cursor down. Space running past the bottom is not carried over: the next element
    /// just starts a new page (via `ensureRoom`), and a page is never ended with nothing after it.
    private func advance(_ height: Double) {
        cursorY += max(0, height)
    }

    private func endPage() {
        drawFooter()
        cairo_show_page(cr)
        completedPages += 1
        pageHasContent = false
        cursorY = margin
    }

    private func drawFooter() {
        guard let footer else { return }
        let pageLabel = "第 \(completedPages + 1) 页"
        let line = footer.isEmpty ? pageLabel : "\(footer)    \(pageLabel)"
        guard let layout = makeLayout(line, size: 9, bold: false, align: .center, width: textWidth) else { return }
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        let h = Double(logical.height) / Double(PANGO_SCALE)
        // Centred vertically in the bottom margin, horizontally across the text width.
        cairo_move_to(cr, margin, pageHeight - margin / 2 - h / 2)
        pango_cairo_show_layout(cr, layout)
    }

    /// Decodes PNG bytes into a new image surface; the caller must `cairo_surface_destroy` it.
    private func pngSurface(_ data: [UInt8]) throws -> OpaquePointer {
        let reader = ByteReader(data)
        let image: OpaquePointer? = withExtendedLifetime(reader) {
            cairo_image_surface_create_from_png_stream({ closure, buffer, length in
                guard let closure, let buffer else { return CAIRO_STATUS_READ_ERROR }
                let reader = Unmanaged<ByteReader>.fromOpaque(closure).takeUnretainedValue()
                return reader.read(into: buffer, count: Int(length)) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR
            }, Unmanaged.passUnretained(reader).toOpaque())
        }
        guard let image else { throw PDFError.invalidPNG("no surface") }
        let status = cairo_surface_status(image)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(image)
            throw PDFError.invalidPNG(statusText(status))
        }
        guard cairo_image_surface_get_width(image) > 0, cairo_image_surface_get_height(image) > 0 else {
            cairo_surface_destroy(image)
            throw PDFError.invalidPNG("empty image")
        }
        return image
    }

    /// An image surface the JPEG's size carrying the JPEG bytes as its MIME data: the PDF surface embeds them
    /// as is (DCTDecode), so cairo, which cannot decode JPEG, never needs the pixels, and they stay unpainted.
    /// The surface must be the JPEG's size: cairo 1.16 draws the embedded image over the surface's extent.
    /// Cost: cairo copies the (blank) pixels once when the drawn surface is destroyed, so a photo takes
    /// width × height × 4 bytes for a moment (300 × 420 px: 0.5 MB; 12 megapixels: 48 MB).
    /// The caller must `cairo_surface_destroy` the surface.
    private func jpegSurface(_ data: [UInt8]) throws -> OpaquePointer {
        guard ContentKind.sniff(Data(data.prefix(8))) == .jpeg, let size = PixelSize.of(Data(data), kind: .jpeg) else {
            throw PDFError.invalidJPEG("no JPEG frame header")
        }
        // cairo's image surfaces stop at 32767 pixels a side.
        guard size.width <= 32_767, size.height <= 32_767 else {
            throw PDFError.invalidJPEG("\(size.width) × \(size.height) pixels is too large")
        }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(size.width), Int32(size.height)) else {
            throw PDFError.invalidJPEG("no surface")
        }
        var status = cairo_surface_status(surface)
        if status == CAIRO_STATUS_SUCCESS {
            // cairo takes this copy and frees it (the callback) when the surface goes.
            let copy = UnsafeMutableRawPointer.allocate(byteCount: max(1, data.count), alignment: 1)
            data.withUnsafeBytes { source in
                if let base = source.baseAddress { copy.copyMemory(from: base, byteCount: source.count) }
            }
            status = cairo_surface_set_mime_data(surface, CAIRO_MIME_TYPE_JPEG, copy.assumingMemoryBound(to: UInt8.self),
                                                 UInt(data.count), { $0?.deallocate() }, copy)
            if status != CAIRO_STATUS_SUCCESS { copy.deallocate() }
        }
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw PDFError.invalidJPEG(statusText(status))
        }
        return surface
    }

    private func x(for width: Double, align: PDFAlignment) -> Double {
        switch align {
        case .left: margin
        case .center: margin + (textWidth - width) / 2
        case .right: margin + textWidth - width
        }
    }

    /// A layout with the given text and font; the caller must `g_object_unref` it. Layouts are kept and shared
    /// (a repeated label is shaped once); the cache is emptied when it grows large.
    private func makeLayout(_ s: String, size: Double, bold: Bool, align: PDFAlignment, width: Double, ellipsize: Bool = false) -> OpaquePointer? {
        let key = LayoutKey(text: s, size: size, bold: bold, align: align, width: width, ellipsize: ellipsize)
        if let cached = layouts[key] {
            g_object_ref(UnsafeMutableRawPointer(cached))
            return cached
        }
        if pangoContext == nil {
            // Simplified Chinese: selects the SC glyph forms (HarfBuzz `locl`) and font fallback whatever the
            // process locale is.
            pangoContext = pango_cairo_create_context(cr)
            if let pangoContext { pango_context_set_language(pangoContext, pango_language_from_string("zh-cn")) }
        }
        guard let pangoContext, let layout = pango_layout_new(pangoContext) else { return nil }
        guard let font = pango_font_description_new() else {
            g_object_unref(UnsafeMutableRawPointer(layout))
            return nil
        }
        defer { pango_font_description_free(font) }
        pango_font_description_set_family(font, fontFamily)
        pango_font_description_set_absolute_size(font, size * Double(PANGO_SCALE))
        pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_layout_set_font_description(layout, font)   // copies the description
        pango_layout_set_width(layout, Int32(clamping: Int((max(1, width) * Double(PANGO_SCALE)).rounded(.down))))
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        if ellipsize { pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END) }
        let alignment: PangoAlignment = switch align {
        case .left: PANGO_ALIGN_LEFT
        case .center: PANGO_ALIGN_CENTER
        case .right: PANGO_ALIGN_RIGHT
        }
        pango_layout_set_alignment(layout, alignment)
        pango_layout_set_text(layout, s, -1)
        if layouts.count >= 512 {
            for cached in layouts.values { g_object_unref(UnsafeMutableRawPointer(cached)) }
            layouts.removeAll(keepingCapacity: true)
        }
        g_object_ref(UnsafeMutableRawPointer(layout))   // one reference for the cache, one for the caller
        layouts[key] = layout
        return layout
    }

    private func statusText(_ status: cairo_status_t) -> String {
        guard let text = cairo_status_to_string(status) else { return "cairo status \(status.rawValue)" }
        return String(cString: text)
    }
}

/// Receives the PDF bytes from cairo's write callback.
private final class ByteSink {
    var bytes: [UInt8] = []
}

/// Feeds PNG bytes to cairo's read callback.
private final class ByteReader {
    private let data: [UInt8]
    private var offset = 0

    init(_ data: [UInt8]) { self.data = data }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard count >= 0, count <= data.count - offset else { return false }
        data.withUnsafeBufferPointer { source in
            if let base = source.baseAddress, count > 0 {
                buffer.update(from: base + offset, count: count)
            }
        }
        offset += count
        return true
    }
}
