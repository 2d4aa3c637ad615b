// Global teardown: once every test has ended, Jest should exit on its own. If it has not after
// SNAPFERRY_TEST_EXIT_WATCHDOG_MS (default 15 s), something still holds the event loop:
// print what, and exit non-zero, so that CI fails instead of hanging. The timer is unref'd:
// it never keeps the process alive itself.
const { describeActiveHandles } = require('./handles');

function armExitWatchdog(ms = Number(process.env.SNAPFERRY_TEST_EXIT_WATCHDOG_MS ?? 15_000)) {
  const timer = setTimeout(() => {
    const handles = describeActiveHandles();
    const lines = [
      '',
      `exit watchdog: the test process had not exited ${ms} ms after the tests ended ` +
        `(SNAPFERRY_TEST_EXIT_WATCHDOG_MS); still open:`,
      ...(handles.length > 0 ? handles : ['(no handle Node can name)']).map((h) => `  ${h}`),
      `  resources: ${process.getActiveResourcesInfo().join(', ')}`,
      '',
    ];
    process.stderr.write(lines.join('\n'), () => process.exit(1));
  }, ms);
  timer.unref();
  return timer;
}

module.exports = async () => {
  armExitWatchdog();
};
module.exports.armExitWatchdog = armExitWatchdog;
