using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.CodeGeneration;

/// <summary>The plan's element type names (docs/model-plan.md) for the compiler's element types.</summary>
public static class ElementTypeNames
{
    public static string PlanName(ElementType type, string tensor) => type switch
    {
        ElementType.Float32 => "float32",
        ElementType.Int8 => "int8",
        ElementType.UInt8 => "uint8",
        ElementType.Int16 => "int16",
        ElementType.Int32 => "int32",
        ElementType.Int64 => "int64",
        _ => throw OctetException.AtTensor(tensor, $"is {type.OnnxName()}; code generation supports float32, int8, uint8, int16, int32 and int64 tensors"),
    };
}
