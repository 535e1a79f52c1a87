using System.Runtime.ExceptionServices;

namespace SandboxRt.Interop;

/// <summary>
/// Runs code on a fresh OS thread that ends with it, for work that changes the calling thread itself
/// (setns, unshare of CLONE_FS or CLONE_NEWPID): such a thread must never go back to a pool, where it
/// would carry its namespaces into unrelated work. The caller waits for the result; the action's
/// exception is rethrown with its own stack.
/// </summary>
internal static class DedicatedThread
{
    public static T Run<T>(string name, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
