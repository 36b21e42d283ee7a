# docker-py's exec scenarios (api_exec and the exec tests of
# models_containers), printed so that a run against our daemon and one
# against dockerd 20.10 can be compared line by line.
import sys, time
import docker
from docker.utils.socket import next_frame_header, read_exactly

api = docker.APIClient(base_url=sys.argv[1], version='1.41')
models = docker.DockerClient(base_url=sys.argv[1], version='1.41')
prefix = sys.argv[2]
name = prefix + 'py-exec'
try:
    api.remove_container(name, force=True)
except docker.errors.NotFound:
    pass
box = api.create_container('busybox', ['sleep', '1000'], name=name,
                           host_config=api.create_host_config())
api.start(box)
ident = box['Id']

def run(cmd, **kw):
    start_kw = {k: kw.pop(k) for k in ['stream', 'demux', 'detach', 'socket', 'tty'] if k in kw and k != 'tty'}
    e = api.exec_create(ident, cmd, **kw)
    return e['Id'], api.exec_start(e['Id'], **start_kw)

print('execute', run(['echo', 'hello'])[1])
print('string', run('echo hello world')[1])
print('user', run('whoami', user='nobody')[1])
print('root', run('whoami')[1])
print('streaming', b''.join(run(['echo', 'hello\nworld'], stream=True)[1]))
print('env', run('env', environment=['X=Y'])[1].split(b'\n').count(b'X=Y'))
print('workdir', run('pwd', workdir='/var')[1])
print('demux', run(['sh', '-c', 'echo out; echo err >&2'], demux=True)[1])
print('demux-tty', run(['sh', '-c', 'echo out'], demux=True, tty=True)[1])
exec_id, output = run(['sh', '-c', 'exit 5'])
inspected = api.exec_inspect(exec_id)
print('inspect', inspected['ExitCode'], inspected['Running'], inspected['ContainerID'] == ident,
      inspected['ProcessConfig'], inspected['OpenStdout'], inspected['OpenStdin'])
exec_id, output = run(['sleep', '1'], detach=True)
print('detached', output, api.exec_inspect(exec_id)['Running'])
time.sleep(1.5)
print('detached-done', api.exec_inspect(exec_id)['ExitCode'])
exec_id = api.exec_create(ident, ['echo', 'hello'])['Id']
sock = api.exec_start(exec_id, socket=True)
(stream, length) = next_frame_header(sock)
print('socket', stream, length, read_exactly(sock, length))
sock.close()
try:
    api.exec_start(exec_id)
except docker.errors.APIError as e:
    print('restart', e.status_code)
try:
    api.exec_inspect('nope')
except docker.errors.NotFound as e:
    print('missing', e.status_code, e.explanation)
exec_id = api.exec_create(ident, ['sh'], stdin=True, tty=True)['Id']
sock = api.exec_start(exec_id, tty=True, socket=True)
sock._sock.sendall(b'echo hi\n')
time.sleep(0.3)
api.exec_resize(exec_id, height=20, width=60)
sock._sock.sendall(b'stty size\n')
time.sleep(0.5)
print('tty', b'20 60' in sock._sock.recv(4096))
sock.close()
container = models.containers.get(name)
print('exec_run', container.exec_run('echo hello'))
print('exec_run-demux', container.exec_run(['sh', '-c', 'echo a; echo b >&2; exit 2'], demux=True))
print('exec_run-stream', b''.join(container.exec_run(['echo', 'x'], stream=True).output))
print('exec_run-detach', container.exec_run('sleep 1', detach=True))
api.pause(ident)
try:
    api.exec_create(ident, 'true')
except docker.errors.APIError as e:
    print('paused', e.status_code)
api.unpause(ident)
api.remove_container(ident, force=True)
try:
    api.exec_create(ident, 'true')
except docker.errors.NotFound as e:
    print('gone', e.status_code)
