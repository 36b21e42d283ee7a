# docker-py's healthcheck scenarios (its api_healthcheck tests), printed so
# that a run against our daemon and one against dockerd 20.10 can be
# compared line by line.
import sys, time
import docker

SECOND = 1000000000
api = docker.APIClient(base_url=sys.argv[1], version='1.41')
prefix = sys.argv[2]
made = []


def create(suffix, command, healthcheck):
    name = prefix + 'py-health-' + suffix
    try:
        api.remove_container(name, force=True)
    except docker.errors.NotFound:
        pass
    box = api.create_container('busybox', command, name=name, healthcheck=healthcheck)
    made.append(box['Id'])
    return box['Id']


def wait_status(ident, status):
    # docker-py's helpers.wait_on_health_status, with a bound.
    deadline = time.time() + 40
    while time.time() < deadline:
        health = api.inspect_container(ident)['State'].get('Health') or {}
        if health.get('Status') == status:
            return status
        time.sleep(0.2)
    return 'timed out waiting for ' + status


try:
    shell = create('shell', 'top', dict(test='echo "hello world"'))
    print('shell', api.inspect_container(shell)['Config']['Healthcheck'])
    passes = create('passes', 'top', dict(test='true', interval=SECOND, timeout=SECOND, retries=1))
    fails = create('fails', 'top', dict(test='false', interval=SECOND, timeout=SECOND, retries=1))
    period = create('period', 'top', dict(
        test="echo 'x' >> /counter.txt && test `cat /counter.txt | wc -l` -ge 3",
        interval=SECOND, timeout=SECOND, retries=1, start_period=3 * SECOND))
    for ident in (passes, fails, period):
        api.start(ident)
    print('passes', wait_status(passes, 'healthy'))
    print('fails', wait_status(fails, 'unhealthy'))
    print('start period', wait_status(period, 'healthy'))
    health = api.inspect_container(period)['State']['Health']
    print('start period log', [entry['ExitCode'] for entry in health['Log']][:3])
    listed = api.containers(filters={'health': 'unhealthy', 'name': prefix + 'py-health-'})
    print('filter', [c['Names'] for c in listed], [c['Status'].endswith('(unhealthy)') for c in listed])
finally:
    for ident in made:
        api.remove_container(ident, force=True)
