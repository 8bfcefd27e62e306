namespace Octet.OnnxRuntime;

/// <summary>Whether independent graph branches may run concurrently.</summary>
public enum ExecutionMode
{
    ORT_SEQUENTIAL = 0,
    ORT_PARALLEL = 1,
}
