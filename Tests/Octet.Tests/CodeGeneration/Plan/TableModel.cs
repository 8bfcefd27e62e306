using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.FrontEnd;

namespace Octet.Tests.CodeGeneration.Plan;

/// <summary>
/// A tiny float model whose int8 plan has a lookup table: Conv (2 → 3 channels, 3×3, padding 1) → Sigmoid. Octet
/// quantizes it with MinMax calibration on <see cref="Inputs"/>; lowering turns the Conv into <c>octet.QConv</c> and
/// the Sigmoid, a function of one 8-bit tensor, into a 256-entry <c>octet.Table</c>. Everything is fixed (weights,
/// inputs, file name), so the plan and the generated class are the same on every run.
/// </summary>
internal static class TableModel
{
    public const string FileName = "conv_sigmoid.onnx";

    /// <summary>The ONNX model: input x [1,2,6,6], output y [1,3,6,6].</summary>
    public static OnnxModelBuilder Build()
    {
        var model = new OnnxModelBuilder(opset: 13, graphName: "conv_sigmoid")
            .Input("x", ElementType.Float32, 1, 2, 6, 6)
            .Initializer("w", Ramp(3 * 2 * 3 * 3, start: -0.4f, step: 0.05f, period: 17), 3, 2, 3, 3)
            .Initializer("b", [0.1f, -0.2f, 0.05f], 3)
            .Output("y", ElementType.Float32);
        model.Node("Conv", ["x", "w", "b"], ["c"], Attr.Ints("pads", 1, 1, 1, 1), Attr.Ints("kernel_shape", 3, 3)).Name = "conv";
        model.Node("Sigmoid", ["c"], ["y"]).Name = "sigmoid";
        return model;
    }

    /// <summary>One input set, in [−2, 2): what the calibration sees and what the parity test runs.</summary>
    public static Dictionary<string, Tensor> Inputs() =>
        new() { ["x"] = Tensor.Create(new Shape(1, 2, 6, 6), Ramp(72, start: -2f, step: 0.23f, period: 17)) };

    /// <summary>Saves the model into <paramref name="folder"/>, calibrates it and compiles the int8 plan.</summary>
    public static CompiledModel CompileInt8(TempFolder folder, NumericsMode numerics = NumericsMode.IntegerOnly)
    {
        var path = Build().Save(folder.Path, FileName);
        var graph = OnnxModelLoader.Load(path);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList([Inputs()]),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        return ModelCompiler.Compile(graph, File.ReadAllBytes(path), config, numerics);
    }

    /// <summary>start, start + step, … wrapping every <paramref name="period"/> values: varied, but exact in every run.</summary>
    private static float[] Ramp(int count, float start, float step, int period) =>
        Enumerable.Range(0, count).Select(i => start + i % period * step).ToArray();
}
