using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Config;

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

    /// <summary>
    /// The calibrated range of an activation tensor, from which 16-bit parameters are derived; null when there is
    /// none (then the range its 8-bit <see cref="ActivationParameters"/> cover is used).
    /// </summary>
    public Func<string, (float Min, float Max)?> ActivationRange { get; init; } = _ => null;

    /// <summary>
    /// Which activations get symmetric int16 parameters instead of the 8-bit ones (<c>transformer.wide_activations</c>):
    /// with <see cref="WideActivationPolicy.Residual"/>, the tensors of <see cref="WideActivations.ResidualStreamRoles"/>.
    /// </summary>
    public WideActivationPolicy WideActivations { get; init; } = WideActivationPolicy.None;

    /// <summary>The 16-bit range is the calibrated range times this factor (&gt; 0; <c>transformer.wide_range_factor</c>).</summary>
    public double WideRangeFactor { get; init; } = TransformerSettings.DefaultWideRangeFactor;

    /// <summary>True for tensors the user keeps in float.</summary>
    public Func<string, bool> KeepsFloat { get; init; } = _ => false;

    /// <summary>True for nodes the user keeps in float32 (mixed precision): their weights are not quantized.</summary>
    public Func<string, bool> NodeKeepsFloat { get; init; } = _ => false;
}
