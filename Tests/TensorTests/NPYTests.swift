import Foundation
import Tensor
import TestSupport
import Testing

@Suite(.onComputeThreads) struct NPYTests {
    @Test(arguments: [DType.float32, .float64, .uint8, .int16, .uint16, .int32, .uint32, .int64])
    func roundTripKeepsShapeDTypeAndBytes(dtype: DType) throws {
        var rng = SeededGenerator(seed: 7)
        var t = try Tensor(zeros: dtype, shape: [3, 5, 2])
        t.withUnsafeMutableBytes { b in for i in b.indices { b[i] = UInt8.random(in: 0...255, using: &rng) } }
        let back = try NPY.decode(NPY.encode(t))
        #expect(back == t)
    }

    @Test func headerIsAlignedTo64Bytes() throws {
        let t = try Tensor(shape: [7], values: [Float](repeating: 1, count: 7))
        let data = NPY.encode(t)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data.count == 10 + headerLength + 28)
    }

    @Test func scalarAndOneDimensionalShapes() throws {
        let s = try Tensor(shape: [], values: [Int32(42)])
        #expect(try NPY.decode(NPY.encode(s)).values(as: Int32.self) == [42])
        let v = try Tensor(shape: [1], values: [UInt8(9)])
        let text = String(decoding: NPY.encode(v).prefix(80), as: UTF8.self)
        #expect(text.contains("'shape': (1,)"))
    }

    /// Bytes written by numpy 2.4.6: `np.save(f, np.arange(6, dtype='>i2').reshape(2, 3))` (big-endian).
    @Test func readsBigEndianFromNumpy() throws {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        var header = "{'descr': '>i2', 'fortran_order': False, 'shape': (2, 3), }"
        let total = (10 + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - 10 - header.utf8.count - 1) + "\n"
        bytes += [UInt8(header.utf8.count), 0] + Array(header.utf8)
        for v in 0..<6 { bytes += [0, UInt8(v)] }
        let t = try NPY.decode(Data(bytes))
        #expect(t.shape == [2, 3])
        #expect(try t.values(as: Int16.self) == [0, 1, 2, 3, 4, 5])
    }

    @Test func rejectsTruncatedAndForeignBytes() {
        #expect(throws: NPYError.self) { try NPY.decode(Data([1, 2, 3])) }
        #expect(throws: NPYError.self) { try NPY.decode(Data(Array("not numpy at all".utf8))) }
        let t = try! Tensor(shape: [4], values: [Float](repeating: 2, count: 4))
        let full = NPY.encode(t)
        for cut in [9, 20, full.count - 1] {
            #expect(throws: NPYError.self) { try NPY.decode(full.prefix(cut)) }
        }
    }

    @Test func fortranOrderAndUnknownDTypeAreTypedErrors() {
        func file(_ header: String) -> Data {
            var h = header
            let total = (10 + h.utf8.count + 1 + 63) / 64 * 64
            h += String(repeating: " ", count: total - 10 - h.utf8.count - 1) + "\n"
            return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count), 0] + Array(h.utf8) + [0, 0, 0, 0])
        }
        #expect(throws: NPYError.fortranOrder) {
            try NPY.decode(file("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }"))
        }
        #expect(throws: NPYError.unsupportedDType("<c8")) {
            try NPY.decode(file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"))
        }
    }
}
