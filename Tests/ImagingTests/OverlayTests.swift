@testable import Imaging
import Testing
import TestSupport

@Suite(.onComputeThreads) struct OverlayTests {
    static func blend(_ gray: UInt8, _ c: Float, alpha: Float) -> UInt8 {
        UInt8(((1 - alpha) * Float(gray) + alpha * 255 * c).rounded())
    }

    @Test func jetStops() {
        #expect(Overlay.jet(0) == (0, 0, 0.5))
        #expect(Overlay.jet(0.125) == (0, 0, 1))
        #expect(Overlay.jet(0.5) == (0.5, 1, 0.5))
        #expect(Overlay.jet(1) == (0.5, 0, 0))
        #expect(Overlay.jet(-3) == Overlay.jet(0) && Overlay.jet(7) == Overlay.jet(1) && Overlay.jet(.nan) == Overlay.jet(0))
    }

    @Test func zeroMapBlendsTheZeroColour() throws {
        let (w, h) = (12, 9)
        let gray = (0..<(w * h)).map { UInt8($0 * 2 % 256) }
        let alpha: Float = 0.4
        let out = try Overlay.heatmap(gray: gray, width: w, height: h, map: [Float](repeating: 0, count: 6),
                                      mapWidth: 3, mapHeight: 2, alpha: alpha)
        #expect(out.count == w * h * 3)
        for i in 0..<(w * h) {
            // jet(0) = dark blue (0, 0, 0.5)
            #expect(out[3 * i] == Self.blend(gray[i], 0, alpha: alpha))
            #expect(out[3 * i + 1] == Self.blend(gray[i], 0, alpha: alpha))
            #expect(out[3 * i + 2] == Self.blend(gray[i], 0.5, alpha: alpha))
        }
        // alpha 0 leaves the gray image; alpha 1 is the colour map alone.
        let none = try Overlay.heatmap(gray: gray, width: w, height: h, map: [0], mapWidth: 1, mapHeight: 1, alpha: 0)
        #expect(none == gray.flatMap { [$0, $0, $0] })
        let full = try Overlay.heatmap(gray: gray, width: w, height: h, map: [0], mapWidth: 1, mapHeight: 1, alpha: 1)
        #expect(full == [UInt8](repeating: 0, count: w * h * 3).enumerated().map { $0.offset % 3 == 2 ? 128 : 0 })
    }

    @Test func singleHotCellIsHottestAtItsLocation() throws {
        // 4×4 map, cell (2, 1) hot, upsampled ×8 to 32×32: cell (2, 1) covers x 16..<24, y 8..<16.
        var map = [Float](repeating: 0, count: 16)
        map[1 * 4 + 2] = 1
        let (w, h) = (32, 32)
        let up = try Overlay.upsample(map: map, mapWidth: 4, mapHeight: 4, width: w, height: h)
        let peak = up.max()!
        let peaks = up.indices.filter { up[$0] == peak }.map { ($0 % w, $0 / w) }
        #expect(!peaks.isEmpty)
        for (x, y) in peaks { #expect((16..<24).contains(x) && (8..<16).contains(y), "peak at \(x),\(y)") }
        #expect(peak > 0.85)  // 0.9375² at the four pixels around the cell centre
        // Far from the cell the value is exactly 0.
        #expect(up[31 * w + 0] == 0 && up[0] == 0)
        // Monotone away from the cell along its row.
        let row = 11
        for x in 20..<(w - 1) { #expect(up[row * w + x] >= up[row * w + x + 1]) }

        // In the blended RGB the pixel nearest the hot cell's centre has jet's hot colour (red channel max,
        // blue min) and a far pixel has the zero colour.
        let gray = [UInt8](repeating: 100, count: w * h)
        let rgb = try Overlay.heatmap(gray: gray, width: w, height: h, map: map, mapWidth: 4, mapHeight: 4, alpha: 0.5)
        let c = 11 * w + 19
        let hot = Overlay.jet(up[c])
        #expect(rgb[3 * c] == Self.blend(100, hot.r, alpha: 0.5) && rgb[3 * c + 2] == Self.blend(100, hot.b, alpha: 0.5))
        let reds = stride(from: 0, to: rgb.count, by: 3).map { rgb[$0] }
        let blues = stride(from: 2, to: rgb.count, by: 3).map { rgb[$0] }
        // Hottest pixels (least blue) are inside the cell.
        let minBlue = blues.min()!
        for i in blues.indices where blues[i] == minBlue {
            #expect((16..<24).contains(i % w) && (8..<16).contains(i / w))
        }
        #expect(rgb[0] == Self.blend(100, 0, alpha: 0.5) && rgb[2] == Self.blend(100, 0.5, alpha: 0.5))
        #expect(reds[c] > reds[0])
    }

    @Test func heatmapRejectsBadSizes() {
        let gray = [UInt8](repeating: 0, count: 4)
        #expect(imagingError { _ = try Overlay.heatmap(gray: gray, width: 2, height: 3, map: [0], mapWidth: 1, mapHeight: 1, alpha: 1) } != nil)
        #expect(imagingError { _ = try Overlay.heatmap(gray: gray, width: 2, height: 2, map: [0, 0], mapWidth: 1, mapHeight: 1, alpha: 1) } != nil)
        #expect(imagingError { _ = try Overlay.heatmap(gray: gray, width: 2, height: 2, map: [], mapWidth: 0, mapHeight: 0, alpha: 1) } != nil)
        #expect(imagingError { _ = try Overlay.heatmap(gray: [], width: 0, height: 0, map: [0], mapWidth: 1, mapHeight: 1, alpha: 1) } != nil)
        #expect(imagingError { _ = try Overlay.maskContour(gray: gray, width: 2, height: 2, mask: [true]) } != nil)
    }

    @Test func contourOfASquareMaskIsItsBoundary() throws {
        let (w, h) = (32, 24)
        let gray = (0..<(w * h)).map { UInt8($0 % 200) }
        let square = (x: 10..<20, y: 6..<16)
        let mask = (0..<(w * h)).map { square.x.contains($0 % w) && square.y.contains($0 / w) }
        let color = Overlay.Color(r: 1, g: 254, b: 3)  // not a gray: no gray pixel can be mistaken for it
        let out = try Overlay.maskContour(gray: gray, width: w, height: h, mask: mask, color: color)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let onBoundary = square.x.contains(x) && square.y.contains(y)
                    && (x == 10 || x == 19 || y == 6 || y == 15)
                let px = Array(out[(3 * i)..<(3 * i + 3)])
                if onBoundary {
                    #expect(px == [1, 254, 3], "\(x),\(y) should be on the contour")
                } else {
                    #expect(px == [gray[i], gray[i], gray[i]], "\(x),\(y) should be gray")
                }
            }
        }
        // A mask touching the image edge: its edge pixels are boundary too.
        let all = try Overlay.maskContour(gray: [UInt8](repeating: 9, count: 9), width: 3, height: 3,
                                          mask: [Bool](repeating: true, count: 9), color: .red)
        let redCount = stride(from: 0, to: all.count, by: 3).filter { all[$0] == 255 }.count
        #expect(redCount == 8 && all[12] == 9)
    }
}
