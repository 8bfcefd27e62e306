using Octet.Generator.Plan;

namespace Octet.Tests.CodeGeneration.Plan;

/// <summary>Hand-built plans exercising every statement form, for writer/parser tests.</summary>
internal static class PlanFixtures
{
    private static readonly string ZeroHash = new('0', 64);
    private static readonly string SomeHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>A small int8 plan: quantized edges, arena/weights/inline tensors, every attribute kind, awkward names.</summary>
    public static ModelPlan Small() => new(
        ModelPlan.CurrentVersion,
        "tiny model",
        new PlanSource("tiny model.onnx", SomeHash),
        ModelPlan.IntegerOnly,
        new PlanMemory(256, 192, 320),
        new PlanWeights(128, ZeroHash),
        List(new PlanEdge("in put", "in put", new PlanEdgeQuantization("x_q", "int8", 0.0078125f, -3))),
        List(new PlanEdge("out", "out", new PlanEdgeQuantization("y_q", "uint8", 1.5e-7f, 255))),
        List(
            Tensor("in put", "float32", [1, 2, 2, 2], "rowmajor", PlanStorage.Arena, 0, 32),
            Tensor("x_q", "int8", [1, 2, 2, 2], "NHWC", PlanStorage.Arena, 64, 8),
            Tensor("w\"eird\\name\n\u00e9", "int8", [2, 2, 1, 1], "OHWI", PlanStorage.Weights, 64, 4),
            Inline("bias", "int32", [2], [-2147483648, 7]),
            Inline("scale", "float32", [3], float.NaN, float.NegativeInfinity, -0.0f),
            Tensor("y_q", "uint8", [1, 2, 2, 2], "NHWC", PlanStorage.Arena, 128, 8),
            Tensor("out", "float32", [1, 2, 2, 2], "rowmajor", PlanStorage.Arena, 192, 32),
            Tensor("scalar", "int64", [], "rowmajor", PlanStorage.Arena, 240, 8)),
        List(
            new PlanOp(0, "octet.QConv", "conv 0",
                List(PlanOp.FromEntry("QLinearConv", "conv 0"), PlanOp.FromEntry("Relu", "")),
                List("x_q", "w\"eird\\name\n\u00e9", "bias", ""),
                List("y_q"),
                List(
                    Attr("auto_pad", PlanAttributeKind.String, "NOTSET"),
                    Attr("dilations", PlanAttributeKind.Ints, "1", "1"),
                    Attr("empty", PlanAttributeKind.Ints),
                    Attr("group", PlanAttributeKind.Int, "1"),
                    Attr("multipliers", PlanAttributeKind.Floats, "0.5", "1E-45", "Infinity"),
                    Attr("note", PlanAttributeKind.String, "two words \"quoted\" \u2603"),
                    Attr("scale", PlanAttributeKind.Float, "3.4028235E+38"))),
            new PlanOp(1, "octet.Relayout", "relayout",
                EquatableArray<string>.Empty,
                List("y_q"),
                List("out", "scalar"),
                EquatableArray<PlanAttribute>.Empty)));

    public static EquatableArray<T> List<T>(params T[] items) => items.ToEquatableArray();

    private static PlanTensor Tensor(string name, string type, int[] shape, string layout, PlanStorage storage, long offset, long bytes) =>
        new(name, type, shape.ToEquatableArray(), layout, storage, offset, bytes, EquatableArray<string>.Empty);

    private static PlanTensor Inline(string name, string type, int[] shape, params long[] values) =>
        new(name, type, shape.ToEquatableArray(), "rowmajor", PlanStorage.Inline, 0, values.Length * 4L,
            values.Select(PlanText.Int).ToEquatableArray());

    private static PlanTensor Inline(string name, string type, int[] shape, params float[] values) =>
        new(name, type, shape.ToEquatableArray(), "rowmajor", PlanStorage.Inline, 0, values.Length * 4L,
            values.Select(PlanText.Float).ToEquatableArray());

    private static PlanAttribute Attr(string name, PlanAttributeKind kind, params string[] values) =>
        new(name, kind, values.ToEquatableArray());
}
