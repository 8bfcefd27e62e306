using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Dropout at inference: the output is the input, and the optional mask keeps everything (all true;
/// all ones before opset 10, where the mask has the input's type). From opset 12, <c>ratio</c> and
/// <c>training_mode</c> are inputs; training mode with a nonzero ratio drops elements at random, which a
/// deterministic compiler does not do, so it is an error.
/// </summary>
public sealed class DropoutOperator : OperatorDefinition
{
    public override string OpType => "Dropout";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 7, 10, 12, 13, 22];

    public override void InferOutputs(InferenceContext context)
    {
        int version = context.Node.OpsetVersion;
        OperatorChecks.ExpectInputs(context, 1, version >= 12 ? 3 : 1);
        OperatorChecks.ExpectOutputs(context, 1, 2);
        context.ExpectType(0, ElementTypeSets.Float);
        if (version < 12)
        {
            float ratio = context.Node.GetFloat("ratio", 0.5f);
            if (ratio is < 0 or >= 1) throw context.Error($"ratio {ratio} is outside [0, 1)");
        }
        else
        {
            if (context.HasInput(1))
            {
                context.ExpectType(1, ElementTypeSets.Float);
                if (context.InputShape(1).ElementCount != 1) throw context.Error($"ratio must be a scalar, but has shape {context.InputShape(1)}");
            }
            if (context.HasInput(2))
            {
                context.ExpectType(2, ElementType.Bool);
                if (context.InputShape(2).ElementCount != 1) throw context.Error($"training_mode must be a scalar, but has shape {context.InputShape(2)}");
            }
            // A ratio computed at run time is checked when the node runs.
            if (!context.HasInput(1) || context.ConstantInput(1) is not null)
                CheckInference(context.ConstantInput(1), context.ConstantInput(2), message => context.Error(message));
        }
        var shape = context.InputShape(0);
        context.SetOutput(0, ElementType.Float32, shape);
        if (context.OutputCount > 1) context.SetOutput(1, version >= 10 ? ElementType.Bool : ElementType.Float32, shape);
    }

    public override void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (context.Node.OpsetVersion >= 12)
            CheckInference(context.OptionalInput(1), context.OptionalInput(2), message => context.Error(message));
        context.SetOutput(0, input);
        if (context.Node.Outputs.Count > 1)
        {
            var mask = context.Node.OpsetVersion >= 10
                ? Tensor.Create(input.Shape, Enumerable.Repeat(true, (int)input.ElementCount).ToArray())
                : Tensor.Create(input.Shape, Enumerable.Repeat(1f, (int)input.ElementCount).ToArray());
            context.SetOutput(1, mask);
        }
    }

    /// <summary>Rejects training mode with a nonzero ratio (ratio defaults to 0.5) when both are known.</summary>
    private static void CheckInference(Tensor? ratio, Tensor? trainingMode, Func<string, Exception> error)
    {
        if (trainingMode is null || !trainingMode.As<bool>()[0]) return;
        float r = ratio is null ? 0.5f : ratio.As<float>()[0];
        if (r != 0)
            throw error($"training_mode is true with ratio {r}: random dropout is not supported (Octet compiles for inference)");
    }
}
