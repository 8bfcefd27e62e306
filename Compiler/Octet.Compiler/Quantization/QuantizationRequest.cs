using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization;

/// <summary>
/// What to quantize and how, as the QDQ quantizer needs it: weight settings, and for each activation tensor
/// its parameters (or that it stays float). Made from a quantization config; tests build it directly.
/// </summary>
public sealed record QuantizationRequest
{
    /// <summary>Where the request came from (the config file), for messages.</summary>
    public required string Source { get; init; }

    /// <summary>int8 or uint8 storage for weights; symmetric weights have zero point 0 (128 for uint8).</summary>
    public ElementType WeightType { get; init; } = ElementType.Int8;
    public bool WeightsSymmetric { get; init; } = true;
    public bool WeightsPerChannel { get; init; } = true;

    /// <summary>
    /// The parameters of an activation tensor; null when the tensor has none. <see cref="KeepsFloat"/>
    /// decides whether missing parameters are an error.
    /// </summary>
    public required Func<string, QuantizationParameters?> ActivationParameters { get; init; }

    /// <summary>True for tensors the user keeps in float.</summary>
    public Func<string, bool> KeepsFloat { get; init; } = _ => false;

    /// <summary>True for nodes the user keeps in float32 (mixed precision): their weights are not quantized.</summary>
    public Func<string, bool> NodeKeepsFloat { get; init; } = _ => false;
}
