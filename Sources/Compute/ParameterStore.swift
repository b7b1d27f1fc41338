/// The shape and place of one named tensor inside a `ParameterStore`.
public struct ParameterSlot: Sendable, Equatable {
    /// Dotted name, as in PyTorch's `state_dict` ("layers.0.weight").
    public let name: String
    /// Rows (output features for a weight, 1 for a bias).
    public let rows: Int
    /// Columns (input features for a weight, output features for a bias).
    public let cols: Int
    /// Offset of the first element in the store's buffers.
    public let offset: Int

    /// Number of elements.
    public var count: Int { rows * cols }
    /// The tensor's shape as safetensors and PyTorch write it: a bias is 1-D.
    public var shape: [Int] { rows == 1 && name.hasSuffix("bias") ? [cols] : [rows, cols] }
}

/// A model's parameters in one contiguous buffer and their gradients in another, same layout.
///
/// One buffer means an optimizer step is one fused loop over every parameter, clipping is one
/// reduction, and a checkpoint writes each tensor straight from it. Each tensor starts on a
/// 64-byte boundary; the padding between tensors stays zero in both buffers, so fused loops may
/// run over it harmlessly.
public final class ParameterStore {
    /// Every tensor, in registration order.
    public let slots: [ParameterSlot]
    /// Parameter values.
    public let values: AlignedBuffer
    /// Gradients, laid out like `values`.
    public let gradients: AlignedBuffer

    /// Lays out tensors of the given names and shapes (rows, cols).
    public init(shapes: [(name: String, rows: Int, cols: Int)]) {
        var slots: [ParameterSlot] = []
        var offset = 0
        var seen = Set<String>()
        for shape in shapes {
            precondition(seen.insert(shape.name).inserted, "ParameterStore: duplicate tensor name '\(shape.name)'")
            slots.append(ParameterSlot(name: shape.name, rows: shape.rows, cols: shape.cols, offset: offset))
            offset += (shape.rows * shape.cols + 15) / 16 * 16
        }
        self.slots = slots
        values = AlignedBuffer(count: offset)
        gradients = AlignedBuffer(count: offset)
    }

    /// Total length of the buffers, padding included.
    public var count: Int { values.count }

    /// Number of trainable scalars, padding excluded.
    public var parameterCount: Int { slots.reduce(0) { $0 + $1.count } }

    /// The values of tensor `index`.
    public func value(_ index: Int) -> Matrix {
        let s = slots[index]
        return Matrix(base: values.base + s.offset, rows: s.rows, cols: s.cols)
    }

    /// The gradient of tensor `index`.
    public func gradient(_ index: Int) -> Matrix {
        let s = slots[index]
        return Matrix(base: gradients.base + s.offset, rows: s.rows, cols: s.cols)
    }

    /// Index of the tensor called `name`, if any.
    public func index(of name: String) -> Int? { slots.firstIndex { $0.name == name } }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.zero() }

    /// Copies every value from `other`, which must have the same layout (target networks).
    public func copyValues(from other: ParameterStore) {
        precondition(slots == other.slots, "copyValues: parameter layouts differ")
        values.base.update(from: other.values.base, count: count)
    }

    /// values ← τ·other + (1 − τ)·values (Polyak averaging for target networks).
    public func blendValues(from other: ParameterStore, tau: Float) {
        precondition(slots == other.slots, "blendValues: parameter layouts differ")
        let p = values.base, q = other.values.base
        let keep = 1 - tau
        for i in 0..<count { p[i] = keep * p[i] + tau * q[i] }
    }
}
