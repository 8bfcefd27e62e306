using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Elementwise;

namespace Octet.Compiler.Operators.Manipulation;

/// <summary>
/// ONNX Constant: a tensor given by exactly one attribute — <c>value</c> (a tensor), or from opset 12
/// <c>value_float</c>/<c>value_int</c> (scalars) and <c>value_floats</c>/<c>value_ints</c> (1-D). String values
/// and <c>sparse_value</c> are rejected by name: Octet holds neither strings nor sparse tensors.
/// </summary>
public sealed class ConstantOperator : OperatorDefinition
{
    public override string OpType => "Constant";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 9, 11, 12, 13, 19, 21, 23, 24, 25];

    private static readonly string[] ValueAttributes =
        ["value", "sparse_value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings"];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 0, 0);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        var value = Value(context.Node, message => context.Error(message));
        context.SetOutput(0, value.ElementType, value.Shape);
    }

    public override void Execute(KernelContext context) =>
        context.SetOutput(0, Value(context.Node, message => context.Error(message)));

    private static Tensor Value(Node node, Func<string, Exception> error)
    {
        var given = ValueAttributes.Where(node.HasAttribute).ToList();
        if (given.Count != 1)
            throw error(given.Count == 0
                ? "has no value: exactly one of the attributes value, value_float(s), value_int(s) must be set"
                : $"has several values ({string.Join(", ", given)}); exactly one must be set");
        var name = given[0];
        if (name != "value" && node.OpsetVersion < 12)
            throw error($"attribute '{name}' exists from opset 12 on; this version takes 'value' only");
        return name switch
        {
            "value" => node.GetTensor("value") ?? throw error("attribute 'value' is not a tensor"),
            "value_float" => Tensor.Scalar(node.GetFloat("value_float", 0f)),
            "value_floats" => Tensor.Create(new Shape(node.GetFloats("value_floats")!.Length), node.GetFloats("value_floats")!),
            "value_int" => Tensor.Scalar(node.GetInt("value_int")),
            "value_ints" => Tensor.Create(new Shape(node.GetInts("value_ints")!.Length), node.GetInts("value_ints")!),
            "sparse_value" => throw error("sparse_value is not supported: Octet has no sparse tensors; store the constant densely"),
            _ => throw error($"attribute '{name}' holds strings, which Octet tensors cannot hold"),
        };
    }
}
