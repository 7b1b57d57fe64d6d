import Imaging
import Tensor

extension PixelBuffer {
    /// The stored samples as a tensor of the same element type.
    func tensor(shape: [Int]) throws -> Tensor {
        switch self {
        case .uint8(let a): return try Tensor(shape: shape, values: a)
        case .uint16(let a): return try Tensor(shape: shape, values: a)
        case .int16(let a): return try Tensor(shape: shape, values: a)
        case .int32(let a): return try Tensor(shape: shape, values: a)
        case .uint32(let a): return try Tensor(shape: shape, values: a)
        }
    }
}

extension DecodedImage {
    /// `[rows, columns]` for one sample per pixel, `[rows, columns, 3]` for colour (as pydicom's `pixel_array`).
    var frameShape: [Int] { samplesPerPixel == 1 ? [rows, columns] : [rows, columns, samplesPerPixel] }

    /// One frame at one stage of the pixel pipeline as a tensor: stored values keep their type,
    /// `modality` and `display` are float32.
    func frameTensor(_ frame: Int, stage: PixelStage, windowIndex: Int) throws -> Tensor {
        switch stage {
        case .stored: return try storedFrame(frame).tensor(shape: frameShape)
        case .modality: return try Tensor(shape: frameShape, values: modalityFrame(frame))
        case .display: return try Tensor(shape: frameShape, values: displayFrame(frame, windowIndex: windowIndex))
        }
    }
}
