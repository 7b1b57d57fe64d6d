public import Foundation

extension EncapsulatedPixelData {
    /// The compressed bytes of each of `count` frames, in frame order.
    ///
    /// Fragments map to frames by, in order of preference: the Extended Offset Table (one
    /// fragment per frame), the Basic Offset Table when it has `count` increasing offsets that
    /// each start a fragment, one fragment per frame when there are `count` fragments, all
    /// fragments concatenated when `count` is 1, and otherwise a frame ending at each fragment
    /// that ends with a JPEG EOI / JPEG 2000 EOC marker (FFD9, optionally followed by one pad byte).
    /// Throws `.malformed` when no rule yields exactly `count` frames.
    public func frames(count: Int) throws(DICOMError) -> [Data] {
        guard count > 0 else {
            throw .malformed(offset: 0, tag: .pixelData, reason: "number of frames \(count) must be at least 1")
        }
        guard !fragments.isEmpty else {
            throw .malformed(offset: 0, tag: .pixelData, reason: "encapsulated pixel data has no fragments")
        }
        if let frames = framesFromExtendedOffsetTable(count: count) { return frames }
        if let frames = framesFromBasicOffsetTable(count: count) { return frames }
        if fragments.count == count { return fragments }
        if count == 1 { return [concatenated(fragments[...])] }
        if fragments.count < count {
            throw .malformed(offset: 0, tag: .pixelData,
                             reason: "\(fragments.count) fragments cannot hold \(count) frames without an offset table")
        }
        var frames: [Data] = []
        var startIndex = 0
        for (i, fragment) in fragments.enumerated() where Self.endsWithEOI(fragment) {
            frames.append(concatenated(fragments[startIndex...i]))
            startIndex = i + 1
        }
        if startIndex < fragments.count, !frames.isEmpty {
            // Trailing fragments without a marker belong to the last frame.
            frames[frames.count - 1].append(concatenated(fragments[startIndex...]))
        }
        guard frames.count == count else {
            throw .malformed(offset: 0, tag: .pixelData,
                             reason: "\(fragments.count) fragments split on end-of-image markers give \(frames.count) frames, expected \(count)")
        }
        return frames
    }

    private func concatenated(_ parts: ArraySlice<Data>) -> Data {
        var out = Data()
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { out.append(p) }
        return out
    }

    /// FFD9 at the end, or followed by a single padding byte (fragments have even length).
    static func endsWithEOI(_ d: Data) -> Bool {
        let n = d.count
        guard n >= 2 else { return false }
        let s = d.startIndex
        if d[s + n - 2] == 0xFF && d[s + n - 1] == 0xD9 { return true }
        if n >= 3, d[s + n - 3] == 0xFF, d[s + n - 2] == 0xD9 { return true }
        return false
    }

    /// Index of the fragment whose item tag is at `offset`, or nil.
    private func fragmentIndex(at offset: UInt64) -> Int? {
        // fragmentOffsets is increasing: binary search.
        var lo = 0, hi = fragmentOffsets.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let v = UInt64(fragmentOffsets[mid])
            if v == offset { return mid }
            if v < offset { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    private func framesFromExtendedOffsetTable(count: Int) -> [Data]? {
        guard let offsets = extendedOffsets, offsets.count == count else { return nil }
        var frames: [Data] = []
        for (k, offset) in offsets.enumerated() {
            guard let i = fragmentIndex(at: offset) else { return nil }
            // PS3.3 C.7.6.3.1.8: with an Extended Offset Table each frame is one fragment.
            var frame = fragments[i]
            if let lengths = extendedLengths, k < lengths.count, lengths[k] > 0, lengths[k] < UInt64(frame.count) {
                frame = frame.prefix(Int(lengths[k]))
            }
            frames.append(frame)
        }
        return frames
    }

    private func framesFromBasicOffsetTable(count: Int) -> [Data]? {
        let table = basicOffsetTable
        guard table.count == count, table.first == 0 else { return nil }
        var starts: [Int] = []
        for (k, offset) in table.enumerated() {
            if k > 0, offset <= table[k - 1] { return nil }
            guard let i = fragmentIndex(at: UInt64(offset)) else { return nil }
            starts.append(i)
        }
        var frames: [Data] = []
        for (k, s) in starts.enumerated() {
            let e = k + 1 < starts.count ? starts[k + 1] : fragments.count
            guard s < e else { return nil }
            frames.append(concatenated(fragments[s..<e]))
        }
        return frames
    }
}
