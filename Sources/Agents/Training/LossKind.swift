/// A regression loss, named as configs name it (`loss_name`).
public enum LossKind: String, Codable, Sendable, CaseIterable {
    /// Squared error.
    case mse
    /// Smooth L1 with δ = 1 (PyTorch's `smooth_l1_loss`).
    case huber
}
